"""Tests for the JSON / JSON Lines reader."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from agentassist.errors import ConfigError, TranscriptFormatError
from agentassist.readers import jsonl, read_records, read_transcripts
from agentassist.transcript import Channel, Role

Write = Callable[[str, str | bytes], Path]

BANK = {
    "id": "bank-0042",
    "channel": "chat",
    "language": "en-GB",
    "metadata": {"agent": "Priya", "team": "Cards"},
    "date": "2024-05-02",
    "turns": [
        {"speaker": "Customer", "text": "My card was declined in Lisbon.", "start": 0, "end": 2.5},
        {
            "speaker": "rep",
            "text": "  I'm sorry, let's sort that out.  ",
            "start": "2.5",
            "end": "00:00:04",
        },
    ],
}


def _line(value: object) -> str:
    return json.dumps(value) + "\n"


def test_reads_one_object_with_metadata_channel_language_and_times(write: Write) -> None:
    path = write("bank.json", json.dumps(BANK, indent=2))
    [transcript] = read_transcripts(path)
    assert transcript.id == "bank-0042"
    assert transcript.channel is Channel.CHAT
    assert transcript.language == "en"
    assert dict(transcript.metadata) == {"agent": "Priya", "team": "Cards", "date": "2024-05-02"}
    first, second = transcript.turns
    assert (first.role, first.speaker, first.start, first.end) == (
        Role.CUSTOMER,
        "Customer",
        0,
        2.5,
    )
    assert (second.role, second.text, second.start, second.end) == (
        Role.AGENT,
        "I'm sorry, let's sort that out.",
        2.5,
        4.0,
    )


def test_reads_json_lines_in_order_with_default_ids(write: Write) -> None:
    lines = [
        _line({"id": "a", "turns": [{"speaker": "agent", "text": "Hello"}]}),
        "\n",
        _line({"turns": []}),
        _line({"id": 7, "turns": [{"role": "caller", "text": "Hi"}]}),
    ]
    path = write("day.jsonl", "".join(lines))
    transcripts = list(read_transcripts(path))
    assert [t.id for t in transcripts] == ["a", "day-2", "7"]
    assert transcripts[1].turns == ()
    assert transcripts[2].turns[0].role is Role.CUSTOMER


def test_reads_a_list_of_objects(write: Write) -> None:
    path = write("two.json", json.dumps([BANK, {"turns": []}], indent=1))
    assert [t.id for t in read_transcripts(path)] == ["bank-0042", "two-2"]


def test_one_line_object_takes_the_file_stem_as_id(write: Write) -> None:
    path = write("lonely.json", json.dumps({"turns": []}))
    assert [t.id for t in read_transcripts(path)] == ["lonely"]


def test_channel_argument_applies_only_where_the_file_is_silent(write: Write) -> None:
    path = write("mixed.jsonl", _line({"id": "x", "turns": []}) + _line(BANK))
    channels = [t.channel for t in read_transcripts(path, channel="email")]
    assert channels == [Channel.EMAIL, Channel.CHAT]


def test_default_channel_is_voice_and_language_english(write: Write) -> None:
    [transcript] = read_transcripts(write("plain.json", json.dumps({"turns": []})))
    assert (transcript.channel, transcript.language) == (Channel.VOICE, "en")


@pytest.mark.parametrize(
    ("speaker", "role"),
    [
        ("AGENT", Role.AGENT),
        ("Customer Service", Role.AGENT),
        ("representative", Role.AGENT),
        ("Advisor", Role.AGENT),
        ("client", Role.CUSTOMER),
        ("User", Role.CUSTOMER),
        ("IVR", Role.SYSTEM),
        ("bot", Role.SYSTEM),
    ],
)
def test_speaker_synonyms_map_to_roles(write: Write, speaker: str, role: Role) -> None:
    path = write("s.json", json.dumps({"turns": [{"speaker": speaker, "text": "Hi"}]}))
    [transcript] = read_transcripts(path)
    assert transcript.turns[0].role is role
    assert transcript.turns[0].speaker == speaker


def test_speaker_roles_map_names(write: Write) -> None:
    turns = [{"speaker": "Maria", "text": "Hello"}, {"speaker": "John", "text": "Hi"}]
    path = write("names.json", json.dumps({"turns": turns}))
    [transcript] = read_transcripts(path, speaker_roles={"maria": "agent", "John": "customer"})
    assert [turn.role for turn in transcript.turns] == [Role.AGENT, Role.CUSTOMER]


def test_unanswered_contact_is_returned(write: Write) -> None:
    turns = [{"speaker": "customer", "text": "Hello?"}, {"speaker": "system", "text": "Busy."}]
    [transcript] = read_transcripts(write("u.json", json.dumps({"turns": turns})))
    assert len(transcript.turns) == 2
    assert not transcript.answered


def test_jsonl_streams_a_large_file_line_by_line(write: Write) -> None:
    turn = {"speaker": "agent", "text": "Thanks for calling, how can I help you today?"}
    body = "".join(_line({"id": f"c-{n}", "turns": [turn] * 3}) for n in range(20_000))
    # A byte that is not UTF-8 on the last line: reading the file whole would fail at once.
    path = write("big.jsonl", body.encode() + b'{"id": "caf\xe9"}\n')
    first = list(zip(range(5), read_transcripts(path), strict=False))
    assert [t.id for _, t in first] == ["c-0", "c-1", "c-2", "c-3", "c-4"]
    transcripts = read_transcripts(path)
    assert sum(1 for _ in zip(range(20_000), transcripts, strict=False)) == 20_000
    with pytest.raises(TranscriptFormatError, match=r"big\.jsonl:20001: not UTF-8"):
        next(transcripts)


def test_rejects_unknown_speaker_with_suggestion_and_mapping_hint(write: Write) -> None:
    path = write(
        "calls.jsonl",
        _line({"id": "c-1", "turns": []})
        + _line(
            {
                "id": "c-0192",
                "turns": [{"speaker": "customer", "text": "Hi"}] * 3
                + [{"speaker": "agnet", "text": "Hello"}],
            }
        ),
    )
    with pytest.raises(
        TranscriptFormatError,
        match=r"calls\.jsonl:2: transcript 'c-0192', turn 3: unknown speaker 'agnet'; "
        r"expected 'agent', 'customer' or 'system' \(did you mean 'agent'\?\); .*speaker_roles",
    ):
        list(read_transcripts(path))


def test_rejects_broken_json_line_naming_line_and_column(write: Write) -> None:
    path = write("calls.jsonl", _line({"turns": []}) + '{"id": "c-2", "turns": [}\n')
    with pytest.raises(TranscriptFormatError, match=r"calls\.jsonl:2: broken JSON at column 25"):
        list(read_transcripts(path))


def test_rejects_broken_json_document_naming_line(write: Write) -> None:
    path = write("doc.json", '{\n  "id": "x",\n  "turns": [\n    {"speaker": "agent",}\n  ]\n}\n')
    with pytest.raises(TranscriptFormatError, match=r"doc\.json:4: broken JSON at column 25"):
        list(read_transcripts(path))


def test_rejects_missing_turns_key_listing_keys_found(write: Write) -> None:
    path = write("x.jsonl", _line({"id": "c-9", "utterances": []}))
    with pytest.raises(
        TranscriptFormatError,
        match=r"x\.jsonl:1: transcript 'c-9': missing required key 'turns'.*"
        r"keys found: id, utterances",
    ):
        list(read_transcripts(path))


def test_missing_turns_on_a_labelled_turn_record_points_to_label(write: Write) -> None:
    path = write("labels.jsonl", _line({"speaker": "agent", "text": "Hi", "labels": {}}))
    with pytest.raises(TranscriptFormatError, match=r"labelled-turn JSONL"):
        list(read_transcripts(path))


@pytest.mark.parametrize(
    ("turn", "message"),
    [
        ({"text": "Hi"}, r"turn 0: missing required key 'speaker'"),
        ({"speaker": "agent"}, r"turn 0: missing required key 'text'"),
        ({"speaker": "agent", "text": "   "}, r"turn 0: turn has no text \('   '\)"),
        ({"speaker": "agent", "text": 42}, r"turn 0: text 42 is not a string"),
        (
            {"speaker": "agent", "text": "Hi", "start": "soon"},
            r"turn 0: start time 'soon' is not a time",
        ),
        ({"speaker": "agent", "text": "Hi", "end": True}, r"turn 0: end time True is not a time"),
        ({"speaker": "agent", "text": "Hi", "start": -1}, r"turn 0: start time -1 is negative"),
        (
            {"speaker": "agent", "text": "Hi", "start": 5, "end": 3},
            r"turn 0: end time 3\.0 is before start time 5\.0",
        ),
        ({"speaker": 3, "text": "Hi"}, r"turn 0: speaker 3 is not a string"),
        ("Agent: hi", r"turn 0: turn is 'Agent: hi'; expected an object"),
    ],
)
def test_rejects_bad_turns(write: Write, turn: object, message: str) -> None:
    path = write("bad.jsonl", _line({"id": "b-1", "turns": [turn]}))
    with pytest.raises(TranscriptFormatError, match=r"bad\.jsonl:1: transcript 'b-1', " + message):
        list(read_transcripts(path))


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"id": "q", "channel": "fax", "turns": []}, r"unknown channel 'fax'"),
        ({"id": "q", "language": "English", "turns": []}, r"language 'English' is not a language"),
        ({"id": "q", "turns": {}}, r"'turns' is \{\}; expected a list"),
        ({"id": "q", "metadata": [1], "turns": []}, r"'metadata' is \[1\]; expected an object"),
        ({"id": ["q"], "turns": []}, r"id \['q'\] is not a transcript id"),
    ],
)
def test_rejects_bad_transcript_fields(write: Write, record: object, message: str) -> None:
    path = write("bad.jsonl", _line(record))
    with pytest.raises(TranscriptFormatError, match=r"bad\.jsonl:1: .*" + message):
        list(read_transcripts(path))


def test_rejects_a_list_item_that_is_not_an_object(write: Write) -> None:
    path = write("list.json", json.dumps([{"turns": []}, "oops"]))
    with pytest.raises(TranscriptFormatError, match=r"list\.json: item 1 of the list is 'oops'"):
        list(read_transcripts(path))


def test_rejects_empty_file(write: Write) -> None:
    path = write("empty.jsonl", "\n\n")
    with pytest.raises(TranscriptFormatError, match=r"empty\.jsonl: file is empty"):
        list(jsonl.read(path))


def test_bad_options_raise_config_error_at_call_time(write: Write) -> None:
    path = write("ok.jsonl", _line({"turns": []}))
    with pytest.raises(
        ConfigError, match=r"speaker_roles\['Maria'\]: unknown role 'agnet'.*'agent'"
    ):
        read_transcripts(path, speaker_roles={"Maria": "agnet"})
    with pytest.raises(ConfigError, match=r"channel 'phone call' is not a channel"):
        read_transcripts(path, channel="phone call")
    with pytest.raises(ConfigError, match=r"language 'english' is not a language code"):
        read_transcripts(path, language="english")


def test_read_records_yields_a_bad_line_as_its_error_and_reads_on(write: Write) -> None:
    path = write("calls.jsonl", _line({"id": "a", "turns": []})
                 + '{"id": "b", "turns": [}\n'
                 + _line({"id": "c", "speaker": "agent", "text": "hi"})
                 + _line({"id": "d", "turns": [{"speaker": "wizard", "text": "hi"}]})
                 + _line({"id": "e", "turns": []}))
    records = list(read_records(path))
    assert [r.id for r in records if not isinstance(r, TranscriptFormatError)] == ["a", "e"]
    errors = [r for r in records if isinstance(r, TranscriptFormatError)]
    assert [(e.line, e.transcript_id) for e in errors] == [(2, None), (3, "c"), (4, "d")]
    assert "broken JSON" in str(errors[0])
    assert "missing required key 'turns'" in str(errors[1])
    assert "turn 0: unknown speaker 'wizard'" in str(errors[2])
    with pytest.raises(TranscriptFormatError, match=r"calls\.jsonl:2: broken JSON"):
        list(read_transcripts(path))  # the plain reader still stops at the first


def test_read_records_reads_on_past_a_bad_list_item(write: Write) -> None:
    path = write("list.json", json.dumps([{"id": "a", "turns": []}, "oops", {"turns": []}]))
    records = list(read_records(path))
    assert isinstance(records[1], TranscriptFormatError)
    assert "item 1 of the list is 'oops'" in str(records[1])
    assert [r.id for r in (records[0], records[2])] == ["a", "list-3"]


def test_read_records_still_raises_when_the_whole_file_is_bad(write: Write) -> None:
    path = write("doc.json", '{\n  "id": "x",\n  "turns": [\n    {"speaker": "agent",}\n  ]\n}\n')
    with pytest.raises(TranscriptFormatError, match=r"doc\.json:4: broken JSON"):
        list(read_records(path))
    with pytest.raises(ConfigError, match="bad_records must be 'raise' or 'yield'"):
        jsonl.read(path, bad_records="skip")  # type: ignore[arg-type]
