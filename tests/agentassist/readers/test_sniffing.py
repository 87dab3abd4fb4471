"""Tests for format sniffing: content first, the extension breaks ties, format= overrides."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from agentassist.errors import ConfigError, TranscriptFormatError
from agentassist.readers import FORMATS, read_transcripts, sniff_format

Write = Callable[[str, str | bytes], Path]

VTT = "WEBVTT\n\n00:01.000 --> 00:02.000\nAgent: Hi\n"
SRT = "1\n00:00:01,000 --> 00:00:02,000\nAgent: Hi\n"
TEXT = "Agent: Hi\nCustomer: Hello\n"
JSONL = json.dumps({"id": "x", "turns": [{"speaker": "agent", "text": "Hi"}]}) + "\n"
CSV = "call_id,speaker,text\nx,agent,Hi\n"
AMAZON = json.dumps(
    {
        "Participants": [{"ParticipantId": "AGENT", "ParticipantRole": "AGENT"}],
        "Transcript": [{"ParticipantId": "AGENT", "Content": "Hi"}],
    }
)
TRANSCRIBE = json.dumps(
    {"jobName": "j", "results": {"transcripts": [{"transcript": "Hi"}], "items": []}}
)


def test_formats_are_the_six_known() -> None:
    assert FORMATS == ("jsonl", "text", "webvtt", "srt", "csv", "amazon_transcribe")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (VTT, "webvtt"),
        (SRT, "srt"),
        (TEXT, "text"),
        ("# agent: Maria\nMaria: Hi\n", "text"),
        (JSONL, "jsonl"),
        ("[" + JSONL + "]", "jsonl"),
        (CSV, "csv"),
        (AMAZON, "amazon_transcribe"),
        (TRANSCRIBE, "amazon_transcribe"),
    ],
)
def test_content_decides_whatever_the_extension(write: Write, content: str, expected: str) -> None:
    for name in ("transcript.dat", "transcript.txt", "transcript.json"):
        assert sniff_format(write(name, content)) == expected


def test_specific_format_beats_generic_text(write: Write) -> None:
    both = "speaker,text\nAgent: hi,there\n"  # a CSV whose rows look like prefixed text
    assert sniff_format(write("a.txt", both)) == "csv"


def test_extension_breaks_a_tie(write: Write) -> None:
    both = "WEBVTT\tspeaker\ttext\n"  # a WebVTT signature line and a tab-separated header
    assert sniff_format(write("a.tsv", both)) == "csv"
    assert sniff_format(write("a.vtt", both)) == "webvtt"
    assert sniff_format(write("a.dat", both)) == "webvtt"  # no help from the extension


def test_extension_picks_the_reader_when_content_matches_nothing(write: Write) -> None:
    path = write("names.txt", "Maria: Hello\nJohn: Hi\n")
    assert sniff_format(path) == "text"
    with pytest.raises(TranscriptFormatError, match=r"unknown speaker 'Maria'"):
        list(read_transcripts(path))


def test_unknown_content_and_extension_lists_the_formats(write: Write) -> None:
    path = write("notes.dat", "Some notes about a call.\n")
    with pytest.raises(
        TranscriptFormatError,
        match=r"notes\.dat: cannot tell the transcript format: the content looks like none of "
        r"jsonl, text, webvtt, srt, csv, amazon_transcribe and the extension '\.dat'.*format=",
    ):
        read_transcripts(path)


def test_empty_file_is_refused_naming_the_formats(write: Write) -> None:
    path = write("empty.jsonl", " \n")
    with pytest.raises(
        TranscriptFormatError, match=r"empty\.jsonl: file is empty; expected .*jsonl"
    ):
        read_transcripts(path)


def test_format_argument_overrides_content(write: Write) -> None:
    path = write("call.dat", TEXT)
    assert len(next(read_transcripts(path, format="text")).turns) == 2
    with pytest.raises(TranscriptFormatError, match=r"call\.dat:1: broken JSON"):
        list(read_transcripts(path, format="json"))


@pytest.mark.parametrize(
    ("alias", "content"),
    [("vtt", VTT), ("txt", TEXT), ("JSON", JSONL), ("contact_lens", AMAZON), ("tsv", CSV)],
)
def test_format_aliases(write: Write, alias: str, content: str) -> None:
    assert list(read_transcripts(write("x.dat", content), format=alias))


def test_unknown_format_argument_suggests_one(write: Write) -> None:
    with pytest.raises(
        ConfigError, match=r"unknown transcript format 'webvt'.*did you mean 'webvtt'"
    ):
        read_transcripts(write("x.vtt", VTT), format="webvt")


def test_missing_or_empty_file_fails_at_call_time_even_with_a_format(
    write: Write, tmp_path: Path
) -> None:
    with pytest.raises(TranscriptFormatError, match=r"gone\.srt: file not found"):
        read_transcripts(tmp_path / "gone.srt", format="srt")
    with pytest.raises(TranscriptFormatError, match=r"blank\.csv: file is empty"):
        read_transcripts(write("blank.csv", ""), format="csv")
