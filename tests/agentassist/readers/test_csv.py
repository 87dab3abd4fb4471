"""Tests for the CSV reader (column detection, grouping, metadata)."""

from __future__ import annotations

import csv as stdlib_csv
from collections.abc import Callable
from pathlib import Path

import pytest

from agentassist.errors import TranscriptFormatError
from agentassist.readers import csv, read_records, read_transcripts
from agentassist.transcript import Channel, Role

Write = Callable[[str, str | bytes], Path]

CALLS = """\
Call_ID,Speaker,Text,Start,End,Agent,Team,Date,Sentiment
c-101,agent,"Good afternoon, Lakeside Energy, Tom speaking.",0.0,3.2,Tom,Billing,2024-04-02,NEUTRAL
c-102,customer,Is my meter reading in?,00:00:01,00:00:03.5,,Meters,2024-04-03,NEUTRAL
c-101,customer,"Hi Tom. My bill has doubled,
and I don't know why.",3.6,6.0,,Billing,2024-04-02,NEGATIVE
c-101,Agent,I'm sorry. Let's look at it together.,6.4,9.1,Tom,Billing,2024-04-02,POSITIVE
"""


def test_module_named_csv_still_uses_the_standard_library() -> None:
    assert stdlib_csv.reader is not None
    assert csv.__name__ == "agentassist.readers.csv"
    assert csv.csv.reader is stdlib_csv.reader  # type: ignore[attr-defined]


def test_groups_rows_by_id_in_order_of_first_appearance(write: Write) -> None:
    transcripts = list(read_transcripts(write("calls.csv", CALLS)))
    assert [t.id for t in transcripts] == ["c-101", "c-102"]
    first = transcripts[0]
    assert [(t.role, t.start, t.end) for t in first.turns] == [
        (Role.AGENT, 0.0, 3.2),
        (Role.CUSTOMER, 3.6, 6.0),
        (Role.AGENT, 6.4, 9.1),
    ]
    assert first.turns[1].text == "Hi Tom. My bill has doubled,\nand I don't know why."
    assert transcripts[1].turns[0].start == 1.0
    assert transcripts[1].turns[0].end == 3.5


def test_constant_columns_become_metadata_and_varying_ones_are_dropped(write: Write) -> None:
    first, second = read_transcripts(write("calls.csv", CALLS))
    assert dict(first.metadata) == {"agent": "Tom", "team": "Billing", "date": "2024-04-02"}
    assert dict(second.metadata) == {"team": "Meters", "date": "2024-04-03", "sentiment": "NEUTRAL"}


def test_channel_and_language_columns(write: Write) -> None:
    body = "id,role,message,channel,language\nx,customer,Hi,chat,en-US\nx,rep,Hello,,\n"
    [transcript] = read_transcripts(write("c.csv", body))
    assert (transcript.channel, transcript.language) == (Channel.CHAT, "en")


def test_without_an_id_column_the_file_is_one_transcript(write: Write) -> None:
    body = "participant\tutterance\ncaller\tHi there\nadvisor\tHello!\n"
    [transcript] = read_transcripts(write("single.tsv", body))
    assert transcript.id == "single"
    assert [t.role for t in transcript.turns] == [Role.CUSTOMER, Role.AGENT]


def test_semicolon_delimiter(write: Write) -> None:
    body = "conversation_id;speaker;text\nk-1;agent;Hallo, hvordan kan jeg hjelpe?\n"
    [transcript] = read_transcripts(write("semi.csv", body), language="nb")
    assert (transcript.turns[0].text, transcript.language) == (
        "Hallo, hvordan kan jeg hjelpe?",
        "nb",
    )


def test_header_only_gives_no_transcripts(write: Write) -> None:
    assert list(read_transcripts(write("none.csv", "call_id,speaker,text\n"))) == []


def test_rejects_header_without_speaker_column_listing_columns(write: Write) -> None:
    path = write("cols.csv", "call_id,who,text\nc-1,agent,Hi\n")
    with pytest.raises(
        TranscriptFormatError,
        match=r"cols\.csv:1: the header row has no speaker and text columns \(columns found: "
        r"'call_id', 'who', 'text'\); expected a speaker column \(speaker, role, participant\)",
    ):
        list(read_transcripts(path))


def test_rejects_unknown_speaker_naming_row_and_turn(write: Write) -> None:
    path = write("calls.csv", "call_id,speaker,text\nc-1,agent,Hi\nc-1,custmer,Hello\n")
    with pytest.raises(
        TranscriptFormatError,
        match=r"calls\.csv:3: transcript 'c-1', turn 1: unknown speaker 'custmer'.*"
        r"did you mean 'customer'",
    ):
        list(read_transcripts(path))


def test_rejects_row_with_missing_fields(write: Write) -> None:
    path = write("short.csv", "call_id,speaker,text\nc-1,agent,Hi\nc-1,customer\n")
    with pytest.raises(
        TranscriptFormatError, match=r"short\.csv:3: row has 2 fields; expected 3, one per header"
    ):
        list(read_transcripts(path))


def test_rejects_empty_text(write: Write) -> None:
    path = write("blank.csv", 'call_id,speaker,text\nc-1,agent,Hi\nc-1,customer,"  "\n')
    with pytest.raises(
        TranscriptFormatError, match=r"blank\.csv:3: transcript 'c-1', turn 1: turn has no text"
    ):
        list(read_transcripts(path))


def test_rejects_missing_id(write: Write) -> None:
    path = write("noid.csv", "call_id,speaker,text\n,agent,Hi\n")
    with pytest.raises(
        TranscriptFormatError, match=r"noid\.csv:2: 'call_id' value '' is not a transcript id"
    ):
        list(read_transcripts(path))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("abc", "1", r"start time 'abc' is not a time"),
        ("5", "4", r"end time 4\.0 is before start time 5\.0"),
    ],
)
def test_rejects_bad_times(write: Write, start: str, end: str, message: str) -> None:
    path = write("t.csv", f"call_id,speaker,text,start,end\nc-1,agent,Hi,{start},{end}\n")
    with pytest.raises(
        TranscriptFormatError, match=r"t\.csv:2: transcript 'c-1', turn 0: " + message
    ):
        list(read_transcripts(path))


def test_rejects_broken_quoting(write: Write) -> None:
    path = write("q.csv", 'call_id,speaker,text\nc-1,agent,"Hi "there"",x\n')
    with pytest.raises(TranscriptFormatError, match=r"q\.csv:2: "):
        list(read_transcripts(path))


def test_rejects_empty_file(write: Write) -> None:
    with pytest.raises(TranscriptFormatError, match=r"empty\.csv: file is empty"):
        list(csv.read(write("empty.csv", "")))


BAD_ROWS = """\
call_id,speaker,text,start
c-1,agent,Hello,0
c-2,agent,Good morning,0
c-1,custmer,Hi,1
c-3,agent,Hi there,0
c-1,agent,Still here?,2
c-3,customer,Hello,1
c-2,customer
,agent,Who am I?,0
"""


def test_read_records_fails_only_the_transcript_with_a_bad_row(write: Write) -> None:
    """One mistyped speaker in a file of many calls costs that call, not the file."""
    path = write("calls.csv", BAD_ROWS)
    records = list(read_records(path))
    assert [type(r).__name__ for r in records] == [
        "TranscriptFormatError", "TranscriptFormatError", "Transcript", "TranscriptFormatError"
    ]
    c1, c2, c3, orphan = records
    # c-1: its first bad row is the failure; its good rows are not scored without it.
    assert "calls.csv:4: transcript 'c-1', turn 1: unknown speaker 'custmer'" in str(c1)
    assert str(c1).startswith(str(path))  # the whole path, as the user gave it
    assert c1.transcript_id == "c-1"
    # c-2: a row with too few fields still names its transcript.
    assert "calls.csv:8: transcript 'c-2': row has 2 fields; expected 4" in str(c2)
    assert c2.transcript_id == "c-2"
    assert (c3.id, [t.text for t in c3.turns]) == ("c-3", ["Hi there", "Hello"])
    # A row with no id can't be put in any transcript: an error of its own, with its line.
    assert "calls.csv:9: 'call_id' value '' is not a transcript id" in str(orphan)


def test_read_transcripts_still_stops_at_the_first_bad_row(write: Write) -> None:
    with pytest.raises(TranscriptFormatError, match=r"calls\.csv:4: .*unknown speaker"):
        list(read_transcripts(write("calls.csv", BAD_ROWS)))


def test_read_records_still_raises_on_broken_quoting(write: Write) -> None:
    path = write("q.csv", 'call_id,speaker,text\nc-1,agent,"Hi "there"",x\nc-2,agent,Hi\n')
    with pytest.raises(TranscriptFormatError, match=r"q\.csv:2: broken CSV"):
        list(read_records(path))


def test_bad_records_option_is_checked(write: Write) -> None:
    from agentassist.errors import ConfigError

    with pytest.raises(ConfigError, match="bad_records must be 'raise' or 'yield'"):
        csv.read(write("calls.csv", BAD_ROWS), bad_records="skip")  # type: ignore[arg-type]
