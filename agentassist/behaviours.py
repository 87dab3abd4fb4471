"""The fixed behaviour vocabulary of DESIGN.md, and which side's turns carry each."""

from __future__ import annotations

from typing import Final

AGENT_BEHAVIOURS: Final[tuple[str, ...]] = (
    "greeting",
    "personalization",
    "empathy",
    "acknowledgement",
    "open_question",
    "closed_question",
    "interest",
    "guidance",
    "information",
    "check_understanding",
)
CUSTOMER_BEHAVIOURS: Final[tuple[str, ...]] = ("negative_emotion", "confusion", "need")

#: Question form is judged for turns of either speaker.
QUESTION_BEHAVIOURS: Final[tuple[str, ...]] = ("open_question", "closed_question")

#: Derived: open_question or closed_question, the higher of the two confidences.
DERIVED_QUESTION: Final[str] = "question"

BEHAVIOURS: Final[tuple[str, ...]] = AGENT_BEHAVIOURS + CUSTOMER_BEHAVIOURS

#: Every name a label file may carry: the 13 behaviours plus the derived ``question``.
LABEL_NAMES: Final[tuple[str, ...]] = BEHAVIOURS + (DERIVED_QUESTION,)


def behaviours_for(role: str) -> tuple[str, ...]:
    """Return the behaviours judged for a turn of ``role``, in vocabulary order.

    Agent turns get the agent behaviours; customer turns the customer behaviours plus
    the question form; ``system`` turns get none.

    Example:
        >>> behaviours_for("customer")
        ('negative_emotion', 'confusion', 'need', 'open_question', 'closed_question')
    """
    if role == "agent":
        return AGENT_BEHAVIOURS
    if role == "customer":
        return CUSTOMER_BEHAVIOURS + QUESTION_BEHAVIOURS
    return ()


def reported_names(role: str) -> tuple[str, ...]:
    """Return the confidence keys reported for a turn of ``role`` (with ``question``).

    Example:
        >>> reported_names("agent")[-1]
        'question'
    """
    names = behaviours_for(role)
    return names + (DERIVED_QUESTION,) if names else ()
