from __future__ import annotations

import pytest
import yaml

from agentassist.errors import RubricError
from agentassist.rubric import CRITERION_IDS, load_rubric, packaged_rubrics


def test_every_packaged_rubric_loads():
    for path in packaged_rubrics():
        rubric = load_rubric(path)
        assert [c.id for c in rubric.criteria] == list(CRITERION_IDS)


def test_default_rubric_is_the_checklist():
    rubric = load_rubric()
    feelings = rubric.criterion("acknowledge_feelings")
    assert feelings.triggers == {"customer": ("negative_emotion",)}
    assert feelings.done_by == ("empathy", "acknowledgement")
    assert feelings.within_turns == 2
    assert all(c.hint for c in rubric.criteria)


def _write(tmp_path, data):
    path = tmp_path / "my.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_rubric_rejects_unknown_behaviour_and_suggests_one(tmp_path):
    data = yaml.safe_load(_default().read_text(encoding="utf-8"))
    data["criteria"][1]["done_when"]["agent"][0] = "empathie"
    with pytest.raises(RubricError, match=r"criteria\[1\]\.done_when\.agent\[0\]: unknown "
                       r"behaviour 'empathie'.*did you mean 'empathy'"):
        load_rubric(_write(tmp_path, data))


def test_rubric_lists_every_problem_at_once(tmp_path):
    data = yaml.safe_load(_default().read_text(encoding="utf-8"))
    data["criteria"][0]["weight"] = -1
    data["criteria"][2]["channels"] = ["phone"]
    data["criteria"][3]["hint"] = ""
    data["criteria"][4]["id"] = "clear_info"
    data["criteria"][5]["needed_when"] = {"customer": ["empathy"]}
    with pytest.raises(RubricError) as caught:
        load_rubric(_write(tmp_path, data))
    message = str(caught.value)
    assert message.startswith("6 problems in rubric my.yaml")
    assert "flags[3].criterion: 'clear_information' is not a criterion of this rubric" in message
    assert "criteria[0].weight: must be a positive number, got -1" in message
    assert "criteria[2].channels[0]: unknown channel 'phone'" in message
    assert "criteria[3].hint: must be a non-empty text" in message
    assert "criteria[4].id: unknown criterion id 'clear_info'" in message
    assert "did you mean 'clear_information'" in message
    assert ("criteria[5].needed_when.customer[0]: unknown behaviour 'empathy'; "
            "expected a customer") in message


def test_duplicate_criterion_is_refused(tmp_path):
    data = yaml.safe_load(_default().read_text(encoding="utf-8"))
    data["criteria"].append(dict(data["criteria"][0]))
    with pytest.raises(RubricError,
                       match=r"criteria\[6\]\.id: 'unique_customer' appears more than once"):
        load_rubric(_write(tmp_path, data))


def test_missing_file_and_bad_yaml_are_clear(tmp_path):
    with pytest.raises(RubricError, match="no such rubric file"):
        load_rubric(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("criteria: [\n")
    with pytest.raises(RubricError, match="bad.yaml: not valid YAML"):
        load_rubric(bad)


def test_a_copied_rubric_can_change_weights_and_wording(tmp_path):
    data = yaml.safe_load(_default().read_text(encoding="utf-8"))
    data["criteria"][0]["weight"] = 5
    data["criteria"][0]["hint"] = "Say hello nicely."
    rubric = load_rubric(_write(tmp_path, data))
    assert rubric.criteria[0].weight == 5.0
    assert rubric.criteria[0].hint == "Say hello nicely."


def _default():
    from agentassist.rubric import default_rubric_path

    return default_rubric_path()
