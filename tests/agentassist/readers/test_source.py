"""Tests for file access shared by every reader: encodings, the line limit, missing files."""

from __future__ import annotations

import codecs
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from agentassist.errors import InputError, TranscriptFormatError
from agentassist.readers import read_transcripts, sniff_format, source
from agentassist.transcript import Role

Write = Callable[[str, str | bytes], Path]

CALL = "Agent: Hello, you're through to Zoë.\r\nCustomer: Hi Zoë, it's about my café bill.\r\n"


@pytest.mark.parametrize(
    "encoded",
    [
        CALL.encode("utf-8"),
        codecs.BOM_UTF8 + CALL.encode("utf-8"),
        codecs.BOM_UTF16_LE + CALL.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + CALL.encode("utf-16-be"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom"],
)
def test_accepts_utf8_with_or_without_bom_and_utf16_with_bom(write: Write, encoded: bytes) -> None:
    path = write("call.txt", encoded)
    assert sniff_format(path) == "text"
    [transcript] = read_transcripts(path)
    assert [(t.role, t.text) for t in transcript.turns] == [
        (Role.AGENT, "Hello, you're through to Zoë."),
        (Role.CUSTOMER, "Hi Zoë, it's about my café bill."),
    ]


def test_rejects_latin1_naming_line_and_byte_offset(write: Write) -> None:
    path = write("latin1.txt", "Agent: Hello.\nCustomer: My café bill.\n".encode("latin-1"))
    with pytest.raises(
        TranscriptFormatError,
        match=r"latin1\.txt:2: not UTF-8 \(it may be Windows-1252 or Latin-1\): byte 0xe9 at "
        r"byte offset 30 cannot be decoded; expected UTF-8.*re-save the file as UTF-8",
    ):
        list(read_transcripts(path, format="text"))


def test_sniffing_reports_bad_encoding_in_the_head(write: Write) -> None:
    path = write("head.jsonl", b'{"id": "caf\xe9", "turns": []}\n')
    with pytest.raises(TranscriptFormatError, match=r"head\.jsonl:1: not UTF-8.*byte offset 11"):
        read_transcripts(path)


def test_rejects_utf16_without_bom(write: Write) -> None:
    path = write("nobom.txt", CALL.encode("utf-16-le"))
    with pytest.raises(
        TranscriptFormatError,
        match=r"nobom\.txt:1: has a NUL byte at byte offset 1: it looks like UTF-16 without",
    ):
        read_transcripts(path)


def test_rejects_utf32(write: Write) -> None:
    path = write("wide.txt", codecs.BOM_UTF32_LE + "Agent: Hi\n".encode("utf-32-le"))
    with pytest.raises(TranscriptFormatError, match=r"wide\.txt: is UTF-32"):
        read_transcripts(path)


def test_refuses_a_50_mb_line_without_reading_it_whole(write: Write) -> None:
    line = (
        b'{"id": "huge", "turns": [{"speaker": "agent", "text": "' + b"a" * (50 * 2**20) + b'"}]}'
    )
    path = write("huge.jsonl", b'{"id": "ok", "turns": []}\n' + line + b"\n")
    del line
    transcripts = read_transcripts(path)
    assert next(transcripts).id == "ok"
    tracemalloc.start()
    try:
        with pytest.raises(
            TranscriptFormatError, match=r"huge\.jsonl:2: line is longer than 10 MB"
        ):
            next(transcripts)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 25 * 2**20


def test_line_limit_applies_to_whole_document_formats(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "MAX_LINE_BYTES", 64)
    path = write("long.vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Agent>" + "la " * 40 + "\n")
    with pytest.raises(TranscriptFormatError, match=r"long\.vtt:4: line is longer than"):
        list(read_transcripts(path))


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nowhere\.txt: file not found"):
        read_transcripts(tmp_path / "nowhere.txt")


def test_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(TranscriptFormatError, match=r"is a folder; expected a transcript file"):
        read_transcripts(tmp_path)
