"""Tests for the WebVTT reader (voice tags, prefixes, notes, merging of cues)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agentassist.errors import TranscriptFormatError
from agentassist.readers import read_transcripts, webvtt
from agentassist.transcript import Channel, Role

Write = Callable[[str, str | bytes], Path]

VOICES = """\
WEBVTT - Skyline Mobile

NOTE
id: tel-0042
agent: Maria Jensen
team: Billing
date: 2024-03-12

STYLE
::cue { color: yellow }

1
00:00:01.000 --> 00:00:04.200 align:start
<v Maria Jensen>Thanks for calling Skyline Mobile, this is Maria.</v>

2
00:00:04.600 --> 00:00:07.000
<v.loud Customer>You've charged me <b>twice</b> this month &amp; I'm
fed up!</v>

3
00:00:07.000 --> 00:00:09.500
<v Customer>Twice!

NOTE a comment after the first cue is ignored
agent: Somebody Else

00:10.000 --> 00:12.000
<v Maria Jensen>I'm sorry, let me check.
"""


def test_reads_voice_tags_notes_times_and_merges_same_speaker_cues(write: Write) -> None:
    [transcript] = read_transcripts(write("call.vtt", VOICES))
    assert transcript.id == "tel-0042"
    assert transcript.channel is Channel.VOICE
    assert dict(transcript.metadata) == {
        "agent": "Maria Jensen",
        "team": "Billing",
        "date": "2024-03-12",
    }
    turns = [(t.role, t.speaker, t.text, t.start, t.end) for t in transcript.turns]
    assert turns == [
        (Role.AGENT, "Maria Jensen", "Thanks for calling Skyline Mobile, this is Maria.", 1.0, 4.2),
        (
            Role.CUSTOMER,
            "Customer",
            "You've charged me twice this month & I'm fed up! Twice!",
            4.6,
            9.5,
        ),
        (Role.AGENT, "Maria Jensen", "I'm sorry, let me check.", 10.0, 12.0),
    ]


def test_reads_prefixes_and_continues_untagged_cues(write: Write) -> None:
    body = (
        "WEBVTT\n\n00:00.000 --> 00:02.000\nAgent: Hello, how can I help?\n\n"
        "00:02.500 --> 00:04.000\nC: My router is broken.\n\n"
        "00:04.000 --> 00:05.000\nIt keeps flashing red.\n\n"
        "00:05.500 --> 00:07.000\n- Agent: Okay.\n- Customer: Thanks.\n"
    )
    [transcript] = read_transcripts(write("prefixed.vtt", body))
    assert [(t.role, t.text) for t in transcript.turns] == [
        (Role.AGENT, "Hello, how can I help?"),
        (Role.CUSTOMER, "My router is broken. It keeps flashing red."),
        (Role.AGENT, "Okay."),
        (Role.CUSTOMER, "Thanks."),
    ]
    assert transcript.id == "prefixed"


def test_several_voices_in_one_cue(write: Write) -> None:
    body = "WEBVTT\n\n00:01.000 --> 00:03.000\n<v Agent>Hi.</v> <v Customer>Hello.</v>\n"
    [transcript] = read_transcripts(write("two.vtt", body))
    assert [(t.role, t.text) for t in transcript.turns] == [
        (Role.AGENT, "Hi."),
        (Role.CUSTOMER, "Hello."),
    ]


def test_names_map_through_speaker_roles(write: Write) -> None:
    body = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Maria Jensen>Hi, Maria here.\n"
    [transcript] = read_transcripts(write("n.vtt", body), speaker_roles={"Maria Jensen": "agent"})
    assert transcript.turns[0].role is Role.AGENT


def test_header_only_file_has_no_turns(write: Write) -> None:
    [transcript] = read_transcripts(write("empty-call.vtt", "WEBVTT\n"))
    assert transcript.turns == ()


def test_rejects_unknown_voice_with_hint(write: Write) -> None:
    body = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Maria Jensen>Hi, Maria here.\n"
    with pytest.raises(
        TranscriptFormatError,
        match=r"maria\.vtt:3: transcript 'maria': unknown speaker 'Maria Jensen'.*"
        r"speaker_roles=\{'Maria Jensen': 'agent'\}",
    ):
        list(read_transcripts(write("maria.vtt", body)))


def test_rejects_first_cue_without_speaker(write: Write) -> None:
    body = "WEBVTT\n\n00:01.000 --> 00:02.000\nHello there.\n"
    with pytest.raises(
        TranscriptFormatError,
        match=r"nospeaker\.vtt:3: .*cue text 'Hello there\.' has no speaker.*'<v Agent>'",
    ):
        list(read_transcripts(write("nospeaker.vtt", body)))


def test_rejects_cue_ending_before_it_starts(write: Write) -> None:
    body = "WEBVTT\n\n1\n00:00:05.000 --> 00:00:03.000\n<v Agent>Hi\n"
    with pytest.raises(
        TranscriptFormatError,
        match=r"back\.vtt:4: .*end time '00:00:03\.000' is before start time '00:00:05\.000'",
    ):
        list(read_transcripts(write("back.vtt", body)))


def test_rejects_non_numeric_cue_time(write: Write) -> None:
    body = "WEBVTT\n\n00:00:0x.000 --> 00:00:03.000\n<v Agent>Hi\n"
    with pytest.raises(
        TranscriptFormatError,
        match=r"bad\.vtt:3: .*cue start time '00:00:0x\.000' is not a time; "
        r"expected hours:minutes:seconds",
    ):
        list(read_transcripts(write("bad.vtt", body)))


def test_rejects_block_that_is_not_a_cue(write: Write) -> None:
    body = "WEBVTT\n\nthis is not\na cue at all\n"
    with pytest.raises(
        TranscriptFormatError, match=r"junk\.vtt:3: block 'this is not' is not a cue"
    ):
        list(read_transcripts(write("junk.vtt", body)))


def test_rejects_cue_with_no_words(write: Write) -> None:
    body = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Agent><i></i>\n"
    with pytest.raises(
        TranscriptFormatError, match=r"quiet\.vtt:3: transcript 'quiet', turn 0: turn has no text"
    ):
        list(read_transcripts(write("quiet.vtt", body)))


def test_rejects_missing_header_when_forced(write: Write) -> None:
    body = "00:01.000 --> 00:02.000\n<v Agent>Hi\n"
    with pytest.raises(TranscriptFormatError, match=r"nohead\.vtt:1: missing the WEBVTT header"):
        list(webvtt.read(write("nohead.vtt", body)))


def test_cue_lines_join_with_a_space_and_inner_spacing_is_kept(write: Write) -> None:
    body = "WEBVTT\n\n00:01.000 --> 00:03.000\n<v Agent>So,  um,\nthat's £64.12 “twice”.\n"
    [transcript] = read_transcripts(write("space.vtt", body))
    assert transcript.turns[0].text == "So,  um, that's £64.12 “twice”."
