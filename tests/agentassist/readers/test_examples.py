"""Every bundled example transcript reads cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentassist.readers import EXTENSIONS, read_transcripts, sniff_format
from agentassist.transcript import Channel, Role

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
FILES = sorted(path for path in EXAMPLES.iterdir() if path.suffix != ".md")


def test_examples_cover_every_format() -> None:
    assert {sniff_format(path) for path in FILES} == {
        "jsonl",
        "text",
        "webvtt",
        "srt",
        "csv",
        "amazon_transcribe",
    }
    assert set(EXTENSIONS.values()) <= {sniff_format(path) for path in FILES}


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_example_reads_into_at_least_one_transcript(path: Path) -> None:
    transcripts = list(read_transcripts(path))
    assert transcripts
    for transcript in transcripts:
        assert transcript.turns
        assert all(turn.text == turn.text.strip() and turn.text for turn in transcript.turns)
        assert len({t.id for t in transcripts}) == len(transcripts)


@pytest.mark.parametrize(
    "name",
    ["good_call.txt", "poor_call.txt", "angry_customer.vtt", "billing_chat.jsonl", "calls.csv"],
)
def test_examples_carry_agent_team_and_date(name: str) -> None:
    for transcript in read_transcripts(EXAMPLES / name):
        assert {"agent", "team", "date"} <= set(transcript.metadata)


def test_unanswered_example_has_no_agent_turn() -> None:
    [transcript] = read_transcripts(EXAMPLES / "unanswered.json")
    assert transcript.channel is Channel.CHAT
    assert not transcript.answered
    assert all(turn.role is not Role.AGENT for turn in transcript.turns)
    assert sum(turn.role is Role.CUSTOMER for turn in transcript.turns) == 2


def test_good_and_poor_calls_are_the_same_situation() -> None:
    [good] = read_transcripts(EXAMPLES / "good_call.txt")
    [poor] = read_transcripts(EXAMPLES / "poor_call.txt")
    assert good.metadata["customer"] == poor.metadata["customer"]
    assert good.turns[0].text.startswith("Good afternoon")
    assert poor.turns[0].text == "Yeah?"
