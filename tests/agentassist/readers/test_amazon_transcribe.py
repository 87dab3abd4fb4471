"""Tests for the Amazon reader: Contact Lens, Call Analytics, Connect chat, plain Transcribe."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from agentassist.errors import TranscriptFormatError
from agentassist.readers import amazon_transcribe, read_transcripts, sniff_format
from agentassist.transcript import Channel, Role

Write = Callable[[str, str | bytes], Path]

CONTACT_LENS = "e1b4c0de-7a52-4f0b-8d7e-3c9a5f2b6d10_analysis_2024-04-15T09-14-02Z.json"


def test_contact_lens_file_maps_participant_ids_and_takes_id_from_file_name(data: Path) -> None:
    path = data / CONTACT_LENS
    assert sniff_format(path) == "amazon_transcribe"
    [transcript] = read_transcripts(path)
    assert transcript.id == "e1b4c0de-7a52-4f0b-8d7e-3c9a5f2b6d10"
    assert (transcript.channel, transcript.language) == (Channel.VOICE, "en")
    assert transcript.metadata["language_code"] == "en-GB"
    assert [t.role for t in transcript.turns] == [
        Role.SYSTEM,
        Role.AGENT,
        Role.CUSTOMER,
        Role.AGENT,  # two agent segments in a row, merged
        Role.CUSTOMER,
        Role.AGENT,
        Role.CUSTOMER,
    ]
    merged = transcript.turns[3]
    assert merged.text == (
        "Oh no, that must be worrying. Can you give me your postcode so I can check for a "
        "known burst in your area?"
    )
    assert (merged.start, merged.end) == (13.2, 19.2)


def test_call_analytics_output_uses_roles_job_name_and_categories(data: Path) -> None:
    [transcript] = read_transcripts(data / "tca_call_analytics.json")
    assert transcript.id == "card-loss-call-2024-05-07-0931"
    assert transcript.metadata["job_name"] == transcript.id
    assert transcript.metadata["matched_categories"] == ["card-loss"]
    assert [t.role for t in transcript.turns] == [Role.AGENT, Role.CUSTOMER] * 3
    assert transcript.turns[1].text.startswith("Hi Owen. Um, I think I lost my debit card")
    assert (transcript.turns[0].start, transcript.turns[0].end) == (0.44, 3.9)


def test_connect_chat_transcript_skips_events_and_is_chat(data: Path) -> None:
    [transcript] = read_transcripts(data / "connect_chat_transcript.json")
    assert transcript.id == "f00d2b1c-3e4f-4a5b-9c6d-7e8f9a0b1c2d"
    assert transcript.channel is Channel.CHAT
    assert [(t.role, t.start) for t in transcript.turns] == [
        (Role.CUSTOMER, None),
        (Role.SYSTEM, None),
        (Role.AGENT, None),
        (Role.CUSTOMER, None),
    ]


def test_plain_transcribe_groups_words_by_speaker_label_with_default_roles(data: Path) -> None:
    [transcript] = read_transcripts(data / "transcribe_diarized.json")
    assert transcript.id == "dental-reschedule-0508"
    assert [(t.role, t.speaker, t.text) for t in transcript.turns] == [
        (Role.AGENT, "spk_0", "Good morning, Meadow Dental."),
        (Role.CUSTOMER, "spk_1", "Hi, I need to move my appointment."),
        (Role.AGENT, "spk_0", "Of course. When suits you?"),
    ]
    assert transcript.turns[0].start == 0.5


def test_plain_transcribe_audio_segments_and_speaker_roles(data: Path) -> None:
    path = data / "transcribe_audio_segments.json"
    [transcript] = read_transcripts(path, speaker_roles={"spk_0": "customer", "spk_1": "agent"})
    assert [(t.role, t.text, t.start) for t in transcript.turns] == [
        (Role.CUSTOMER, "Thanks for calling Peak Fitness, this is Ravi.", 0.48),
        (Role.AGENT, "Hi Ravi, I'd like to cancel my membership.", 3.6),
        (Role.CUSTOMER, "I can help with that.", 6.7),
    ]


def test_unanswered_chat_is_returned(write: Write) -> None:
    doc = {
        "Channel": "CHAT",
        "Participants": [{"ParticipantId": "c", "ParticipantRole": "CUSTOMER"}],
        "Transcript": [{"ParticipantId": "c", "Content": "Hello?"}],
    }
    [transcript] = read_transcripts(write("u.json", json.dumps(doc)))
    assert transcript.channel is Channel.CHAT
    assert not transcript.answered


def test_rejects_third_speaker_label_without_mapping(write: Write) -> None:
    doc = {
        "jobName": "three",
        "results": {
            "transcripts": [{"transcript": "a b c"}],
            "audio_segments": [
                {
                    "transcript": "Hello.",
                    "start_time": "0",
                    "end_time": "1",
                    "speaker_label": "spk_0",
                },
                {"transcript": "Hi.", "start_time": "1", "end_time": "2", "speaker_label": "spk_2"},
            ],
        },
    }
    with pytest.raises(
        TranscriptFormatError,
        match=r"three\.json: transcript 'three', turn 1: speaker label 'spk_2' has no role.*"
        r"speaker_roles",
    ):
        list(read_transcripts(write("three.json", json.dumps(doc))))


def test_rejects_words_without_speaker_labels(write: Write) -> None:
    doc = {
        "jobName": "mono",
        "results": {
            "transcripts": [{"transcript": "Hello"}],
            "items": [
                {
                    "start_time": "0.1",
                    "end_time": "0.4",
                    "type": "pronunciation",
                    "alternatives": [{"confidence": "0.9", "content": "Hello"}],
                },
            ],
        },
    }
    with pytest.raises(
        TranscriptFormatError, match=r"results\.items\[0\] \('Hello'\) has no speaker label"
    ):
        list(read_transcripts(write("mono.json", json.dumps(doc))))


@pytest.mark.parametrize(
    ("segment", "message"),
    [
        (
            {"ParticipantId": "BOSS", "Content": "Hi"},
            r"Transcript\[0\]: unknown participant 'BOSS'",
        ),
        ({"Content": "Hi"}, r"Transcript\[0\] has neither 'ParticipantRole' nor 'ParticipantId'"),
        ({"ParticipantRole": "AGENT"}, r"turn 0: Transcript\[0\] has no 'Content'"),
        ({"ParticipantRole": "AGENT", "Content": " "}, r"turn 0: turn has no text"),
        (
            {"ParticipantRole": "AGENT", "Content": "Hi", "BeginOffsetMillis": "soon"},
            r"Transcript\[0\]\.BeginOffsetMillis 'soon' is not a number",
        ),
        (
            {
                "ParticipantRole": "AGENT",
                "Content": "Hi",
                "BeginOffsetMillis": 900,
                "EndOffsetMillis": 100,
            },
            r"end time 0\.1 is before start time 0\.9",
        ),
    ],
)
def test_rejects_bad_segments(write: Write, segment: object, message: str) -> None:
    doc = {"JobName": "j-1", "Participants": [], "Transcript": [segment]}
    with pytest.raises(TranscriptFormatError, match=r"bad\.json: transcript 'j-1'.*" + message):
        list(read_transcripts(write("bad.json", json.dumps(doc))))


def test_rejects_broken_json(write: Write) -> None:
    path = write("broken.json", '{\n  "Participants": [],\n  "Transcript": [\n}\n')
    with pytest.raises(TranscriptFormatError, match=r"broken\.json:4: broken JSON at column 1"):
        list(amazon_transcribe.read(path))


def test_rejects_json_without_transcript_or_results(write: Write) -> None:
    path = write("other.json", json.dumps({"Participants": [], "Version": "1.1.0"}))
    with pytest.raises(
        TranscriptFormatError, match=r"other\.json: missing required key 'Transcript'.*Participants"
    ):
        list(amazon_transcribe.read(path))
