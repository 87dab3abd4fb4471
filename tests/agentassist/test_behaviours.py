from __future__ import annotations

import agentassist
from agentassist.behaviours import (
    AGENT_BEHAVIOURS,
    CUSTOMER_BEHAVIOURS,
    behaviours_for,
    reported_names,
)
from agentassist.rubric import CRITERION_IDS

# Copied from DESIGN.md ("Behaviours (fixed vocabulary)" and "Criteria (fixed ids)").
DESIGN_AGENT = ["greeting", "personalization", "empathy", "acknowledgement", "open_question",
                "closed_question", "interest", "guidance", "information", "check_understanding"]
DESIGN_CUSTOMER = ["negative_emotion", "confusion", "need"]
DESIGN_CRITERIA = ["unique_customer", "acknowledge_feelings", "interest_in_needs",
                   "lead_dialogue", "clear_information", "confirm_solution"]


def test_vocabulary_matches_design():
    assert list(AGENT_BEHAVIOURS) == DESIGN_AGENT
    assert list(CUSTOMER_BEHAVIOURS) == DESIGN_CUSTOMER
    assert list(CRITERION_IDS) == DESIGN_CRITERIA


def test_question_form_is_judged_for_customers_too():
    assert "open_question" in behaviours_for("customer")
    assert "closed_question" in behaviours_for("customer")
    assert "empathy" not in behaviours_for("customer")
    assert behaviours_for("system") == ()
    assert reported_names("customer")[-1] == "question"


def test_public_names_are_sorted_and_complete():
    names = agentassist.__all__
    group = lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n)  # noqa: E731
    assert names == sorted(names, key=group)
    for name in names:
        assert hasattr(agentassist, name), name
