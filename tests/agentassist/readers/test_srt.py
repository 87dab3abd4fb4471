"""Tests for the SubRip (SRT) reader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agentassist.errors import TranscriptFormatError
from agentassist.readers import read_transcripts, srt
from agentassist.transcript import Channel, Role

Write = Callable[[str, str | bytes], Path]

CLAIM = """\
1
00:00:00,600 --> 00:00:04,800
Agent: Harbour Insurance claims, this is Leon.

2
00:00:05,200 --> 00:00:09,900
Customer: Hi, um, someone drove into
the back of me this morning.

3
00:00:09,900 --> 00:00:13,400
<i>I'm still a bit shaky.</i>

4
00:00:13,900 --> 00:00:20,500
{\\an8}Agent: I'm sorry to hear that. Are you okay?
"""


def test_reads_prefixes_times_continuations_and_merges(write: Write) -> None:
    [transcript] = read_transcripts(write("claim.srt", CLAIM))
    assert (transcript.id, transcript.channel, transcript.language) == (
        "claim",
        Channel.VOICE,
        "en",
    )
    turns = [(t.role, t.text, t.start, t.end) for t in transcript.turns]
    assert turns == [
        (Role.AGENT, "Harbour Insurance claims, this is Leon.", 0.6, 4.8),
        (
            Role.CUSTOMER,
            "Hi, um, someone drove into the back of me this morning. I'm still a bit shaky.",
            5.2,
            13.4,
        ),
        (Role.AGENT, "I'm sorry to hear that. Are you okay?", 13.9, 20.5),
    ]


def test_channel_and_language_arguments_apply(write: Write) -> None:
    [transcript] = read_transcripts(write("c.srt", CLAIM), channel="chat", language="nb")
    assert (transcript.channel, transcript.language) == (Channel.CHAT, "nb")


def test_crlf_line_endings(write: Write) -> None:
    [transcript] = read_transcripts(write("crlf.srt", CLAIM.replace("\n", "\r\n")))
    assert len(transcript.turns) == 3


def test_names_map_through_speaker_roles(write: Write) -> None:
    body = (
        "1\n00:00:01,000 --> 00:00:02,000\nLeon: Hello.\n\n"
        "2\n00:00:02,500 --> 00:00:03,000\nAma: Hi.\n"
    )
    [transcript] = read_transcripts(
        write("names.srt", body), speaker_roles={"Leon": "agent", "Ama": "customer"}
    )
    assert [t.role for t in transcript.turns] == [Role.AGENT, Role.CUSTOMER]


def test_rejects_unknown_speaker(write: Write) -> None:
    body = "1\n00:00:01,000 --> 00:00:02,000\nAgnet: Hello.\n"
    with pytest.raises(
        TranscriptFormatError,
        match=r"typo\.srt:2: transcript 'typo': unknown speaker 'Agnet'.*did you mean 'agent'",
    ):
        list(read_transcripts(write("typo.srt", body)))


def test_rejects_end_before_start(write: Write) -> None:
    body = (
        "1\n00:00:01,000 --> 00:00:02,000\nAgent: Hi.\n\n"
        "2\n00:00:09,000 --> 00:00:08,000\nCustomer: Hi.\n"
    )
    with pytest.raises(
        TranscriptFormatError,
        match=r"back\.srt:6: .*end time '00:00:08,000' is before start time '00:00:09,000'",
    ):
        list(read_transcripts(write("back.srt", body)))


def test_rejects_non_numeric_time(write: Write) -> None:
    body = (
        "1\n00:00:01,000 --> 00:00:02,000\nAgent: Hi.\n\n"
        "2\n00:00:03,000 --> 00:0a:04,000\nAgent: Hi.\n"
    )
    with pytest.raises(
        TranscriptFormatError,
        match=r"time\.srt:6: .*cue end time '00:0a:04,000' is not a time.*'00:01:02,500 --> ",
    ):
        list(read_transcripts(write("time.srt", body)))


def test_rejects_block_without_timing(write: Write) -> None:
    body = "1\n00:00:01,000 --> 00:00:02,000\nAgent: Hi.\n\n2\nCustomer: no timing here\n"
    with pytest.raises(
        TranscriptFormatError,
        match=r"notime\.srt:5: transcript 'notime': block '2' is not an SRT cue; "
        r"expected a cue number",
    ):
        list(read_transcripts(write("notime.srt", body)))


def test_rejects_cue_with_no_text(write: Write) -> None:
    body = "1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:03,000 --> 00:00:04,000\nAgent: Hi.\n"
    with pytest.raises(TranscriptFormatError, match=r"notext\.srt:2: .*cue has no text"):
        list(read_transcripts(write("notext.srt", body)))


def test_rejects_empty_file(write: Write) -> None:
    with pytest.raises(TranscriptFormatError, match=r"empty\.srt: file is empty"):
        list(srt.read(write("empty.srt", "\n")))
