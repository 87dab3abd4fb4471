from __future__ import annotations

import json

import pytest

from agentassist.errors import TranscriptFormatError
from agentassist.labelled import LabelStats, read_labelled


def _file(tmp_path, *lines):
    path = tmp_path / "turns.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_records_keep_context_labels_and_extra_keys(tmp_path):
    record = {"id": "a", "speaker": "agent", "text": "What happened?", "industry": "telecom",
              "context": [{"speaker": "customer", "text": "I can't log in."}],
              "labels": {"open_question": 1, "empathy": 0, "politeness": 1}}
    stats = LabelStats()
    (turn,) = read_labelled(_file(tmp_path, json.dumps(record)), stats)
    assert turn.labels == {"open_question": 1, "empathy": 0}
    assert turn.context[0].text == "I can't log in."
    assert turn.record["industry"] == "telecom"
    assert stats.unknown_labels == 1
    assert stats.unknown_names == {"politeness"}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"speaker": "agnet", "text": "hi"}', r"turns.jsonl:1: record: unknown speaker 'agnet'"),
        ('{"speaker": "agent", "text": 3}', r"'text' must be a string, got 3"),
        ('{"speaker": "agent", "text": "hi"', r"turns.jsonl:1: not valid JSON"),
        ('{"speaker": "agent", "text": "hi", "labels": {"empathy": 2}}',
         r"label 'empathy' is 2; expected 0 or 1"),
        ('[1, 2]', r"expected a JSON object, got list"),
    ],
)
def test_bad_records_name_the_line_and_the_value(tmp_path, line, message):
    with pytest.raises(TranscriptFormatError, match=message):
        list(read_labelled(_file(tmp_path, line)))


def test_not_utf8_is_reported(tmp_path):
    path = tmp_path / "latin.jsonl"
    path.write_bytes('{"speaker": "agent", "text": "blåbær"}\n'.encode("latin-1"))
    with pytest.raises(TranscriptFormatError, match="not UTF-8"):
        list(read_labelled(path))
