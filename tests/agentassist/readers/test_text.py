"""Tests for the plain-text reader (speaker prefixes, header lines, timestamps)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agentassist.errors import TranscriptFormatError
from agentassist.readers import read_transcripts, text
from agentassist.transcript import Channel, Role

Write = Callable[[str, str | bytes], Path]

RAIL = """\
# id: rail-0193
# agent: Maria
# customer: John Smith
# channel: chat
# language: en-GB
# team: Rail Support
# date: 2024-06-14
Maria: Good morning, Northline Rail, Maria speaking.
John Smith: Hi. My train's been cancelled
and I've got the kids with me.
Maria: Oh no, that sounds really stressful.
"""


def test_reads_headers_names_and_continuation_lines(write: Write) -> None:
    [transcript] = read_transcripts(write("rail.txt", RAIL))
    assert transcript.id == "rail-0193"
    assert transcript.channel is Channel.CHAT
    assert transcript.language == "en"
    assert dict(transcript.metadata) == {
        "agent": "Maria",
        "customer": "John Smith",
        "team": "Rail Support",
        "date": "2024-06-14",
    }
    roles = [(turn.role, turn.speaker) for turn in transcript.turns]
    assert roles == [(Role.AGENT, "Maria"), (Role.CUSTOMER, "John Smith"), (Role.AGENT, "Maria")]
    assert (
        transcript.turns[1].text == "Hi. My train's been cancelled\nand I've got the kids with me."
    )


def test_id_defaults_to_file_stem_and_channel_to_voice(write: Write) -> None:
    [transcript] = read_transcripts(write("call-17.txt", "Agent: Hello.\nCustomer: Hi.\n"))
    assert (transcript.id, transcript.channel, transcript.language) == (
        "call-17",
        Channel.VOICE,
        "en",
    )


@pytest.mark.parametrize(
    ("line", "start", "words"),
    [
        ("[00:01:02] Agent: Hello there", 62.0, "Hello there"),
        ("[01:02] Agent: Hello there", 62.0, "Hello there"),
        ("00:01:02 Agent: Hello there", 62.0, "Hello there"),
        ("Agent [00:01:02.5]: Hello there", 62.5, "Hello there"),
        ("Agent: [00:01:02] Hello there", 62.0, "Hello there"),
        ("Agent: 00:01:02 Hello there", 62.0, "Hello there"),
        ("A: Hello there", None, "Hello there"),
        ("Agent: The 10:30 train: cancelled", None, "The 10:30 train: cancelled"),
    ],
)
def test_timestamps_before_or_after_the_prefix(
    write: Write, line: str, start: float | None, words: str
) -> None:
    [transcript] = read_transcripts(write("t.txt", line + "\n"))
    [turn] = transcript.turns
    assert (turn.role, turn.start, turn.text) == (Role.AGENT, start, words)


def test_short_prefixes_and_synonyms(write: Write) -> None:
    body = "A: Hello.\nC: Hi.\nCaller: Still me.\nRep: Yes?\nIVR: Goodbye.\n"
    [transcript] = read_transcripts(write("short.txt", body))
    assert [turn.role for turn in transcript.turns] == [
        Role.AGENT,
        Role.CUSTOMER,
        Role.CUSTOMER,
        Role.AGENT,
        Role.SYSTEM,
    ]


def test_speaker_roles_argument_maps_names_and_wins_over_headers(write: Write) -> None:
    body = "# agent: Sam\nSam: Hi, this is Sam.\nLee: Hello Sam.\n"
    [transcript] = read_transcripts(
        write("names.txt", body), speaker_roles={"Lee": "customer", "Sam": "system"}
    )
    assert [turn.role for turn in transcript.turns] == [Role.SYSTEM, Role.CUSTOMER]


def test_plain_lines_and_indented_lookalikes_continue_the_turn(write: Write) -> None:
    body = "Customer: I have two questions:\n  First: the refund.\nthe thing is: it's late.\n"
    [transcript] = read_transcripts(write("cont.txt", body))
    [turn] = transcript.turns
    assert turn.text == "I have two questions:\nFirst: the refund.\nthe thing is: it's late."


def test_headers_only_give_a_transcript_with_no_turns(write: Write) -> None:
    [transcript] = read_transcripts(write("none.txt", "# id: x-1\n# agent: Maria\n"), format="text")
    assert (transcript.id, transcript.turns) == ("x-1", ())


def test_unanswered_contact_is_returned(write: Write) -> None:
    body = "System: All our agents are busy.\nCustomer: Hello?\nCustomer: Anyone?\n"
    [transcript] = read_transcripts(write("u.txt", body))
    assert len(transcript.turns) == 3
    assert not transcript.answered


def test_rejects_unknown_name_suggesting_a_mapping_and_a_header(write: Write) -> None:
    path = write("names.txt", "Agent: Hello.\nMaria: Hi, I'm calling about my bill.\n")
    with pytest.raises(
        TranscriptFormatError,
        match=r"names\.txt:2: transcript 'names', turn 1: unknown speaker 'Maria'; expected "
        r"'agent', 'customer' or 'system'; to use a name, map it to a role with "
        r"speaker_roles=\{'Maria': 'agent'\}, or add a header line '# agent: Maria'",
    ):
        list(read_transcripts(path))


def test_rejects_misspelt_role_with_suggestion(write: Write) -> None:
    path = write("typo.txt", "Agent: Hello.\nCustomre: Hi.\n")
    with pytest.raises(
        TranscriptFormatError,
        match=r"typo\.txt:2: .*turn 1: unknown speaker 'Customre'.*did you mean 'customer'",
    ):
        list(read_transcripts(path))


def test_rejects_text_before_the_first_prefix(write: Write) -> None:
    path = write("title.txt", "Call with John\nAgent: Hello.\n")
    with pytest.raises(
        TranscriptFormatError,
        match=r"title\.txt:1: line 'Call with John' has no speaker prefix and no turn before it",
    ):
        list(text.read(path))


def test_rejects_a_turn_with_no_text(write: Write) -> None:
    path = write("blank.txt", "Agent: Hello.\nCustomer:   \nAgent: Are you there?\n")
    with pytest.raises(
        TranscriptFormatError, match=r"blank\.txt:2: transcript 'blank', turn 1: turn has no text"
    ):
        list(read_transcripts(path))


def test_rejects_an_impossible_timestamp(write: Write) -> None:
    path = write("time.txt", "[00:99:10] Agent: Hello.\n")
    with pytest.raises(
        TranscriptFormatError, match=r"time\.txt:1: .*timestamp '00:99:10' is not a time"
    ):
        list(read_transcripts(path))


def test_rejects_bad_header_values(write: Write) -> None:
    path = write("hdr.txt", "# channel: pigeon\nAgent: Hello.\n")
    with pytest.raises(TranscriptFormatError, match=r"hdr\.txt:1: unknown channel 'pigeon'"):
        list(read_transcripts(path))


def test_rejects_empty_file(write: Write) -> None:
    path = write("empty.txt", "  \n\n")
    with pytest.raises(TranscriptFormatError, match=r"empty\.txt: file is empty"):
        list(text.read(path))


def test_keeps_text_exactly_apart_from_surrounding_whitespace(write: Write) -> None:
    line = "Agent:   So,  um -- that's   £64.12 “twice”, isn't it?   "
    [transcript] = read_transcripts(write("exact.txt", line + "\n"))
    assert transcript.turns[0].text == "So,  um -- that's   £64.12 “twice”, isn't it?"


def test_header_keys_become_snake_case_metadata(write: Write) -> None:
    body = "# Queue Name: Faults\n# Agent: Maria\n# Date-Of-Call: 2024-06-14\nMaria: Hello.\n"
    [transcript] = read_transcripts(write("keys.txt", body))
    assert dict(transcript.metadata) == {
        "queue_name": "Faults",
        "agent": "Maria",
        "date_of_call": "2024-06-14",
    }
    assert transcript.turns[0].role is Role.AGENT
