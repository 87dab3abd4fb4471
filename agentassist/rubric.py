"""Criterion, Rubric, load_rubric(): the checklist as validated data.

``rubrics/default.yaml`` is PRODUCT.md's six-point checklist. A rubric names
behaviours, never detectors; ``load_rubric`` reports every problem at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from agentassist.behaviours import AGENT_BEHAVIOURS, CUSTOMER_BEHAVIOURS, DERIVED_QUESTION
from agentassist.errors import RubricError
from agentassist.transcript import Channel

CRITERION_IDS: Final[tuple[str, ...]] = (
    "unique_customer",
    "acknowledge_feelings",
    "interest_in_needs",
    "lead_dialogue",
    "clear_information",
    "confirm_solution",
)
PHASES: Final = ("opening", "discovery", "resolution", "closing")
#: The situations the live coach hints about (``agentassist.coach``); a criterion may
#: give its own wording for each under ``hints:``, else its ``hint`` is shown.
HINT_KINDS: Final = ("distress", "confusion", "closed_questions", "overdue", "name_unused",
                     "unconfirmed")
FLAG_KINDS: Final = ("missed", "missed_trigger", "overall_below", "uncertain", "not_answered")
FLAG_KEYS: Final = ("id", "title", "description", "when", "criterion", "trigger", "value",
                    "margin", "severity")
RUBRICS_DIR: Final = Path(__file__).parent / "rubrics"
SIDES: Final = {"agent": AGENT_BEHAVIOURS, "customer": CUSTOMER_BEHAVIOURS}


@dataclass(frozen=True, slots=True)
class Criterion:
    """One line of the checklist, judged in two steps: needed here? then done?

    ``triggers`` is empty when the criterion is always needed; otherwise it maps a side
    (``agent``/``customer``) to the behaviours that make it needed.
    """

    id: str
    title: str
    description: str
    weight: float
    channels: tuple[str, ...]
    triggers: Mapping[str, tuple[str, ...]]
    done_by: tuple[str, ...]
    within_turns: int | None
    full_marks: int
    min_behaviours: int
    pass_score: float
    needed_at_customer: tuple[str, ...]
    due_by: str | None
    priority: int
    hint: str
    hints: Mapping[str, str] = field(default_factory=dict)

    @property
    def always(self) -> bool:
        """Tell whether the criterion is needed in every answered conversation."""
        return not self.triggers

    def hint_for(self, kind: str) -> str:
        """Return the hint text for the situation ``kind``, else the criterion's ``hint``."""
        return self.hints.get(kind, self.hint)


@dataclass(frozen=True, slots=True)
class FlagRule:
    """When to flag a conversation for a trainer (rubric ``flags:``)."""

    id: str
    when: str
    criterion: str | None
    trigger: tuple[str, ...]
    value: float
    severity: int
    title: str = ""  # what a trainer reads in the review queue

    @property
    def label(self) -> str:
        """Return the title, or the id in words when the rubric gives none."""
        return self.title or self.id.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class SurveyItem:
    """One of the study's yes/no items, estimated from the behaviours present."""

    id: str
    text: str
    all_of: tuple[str, ...]
    any_of: tuple[str, ...]
    unless_flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rubric:
    """The checklist: criteria, flag rules and survey items."""

    name: str
    version: str
    criteria: tuple[Criterion, ...]
    flags: tuple[FlagRule, ...] = ()
    survey: tuple[SurveyItem, ...] = ()
    source: str = ""

    def criterion(self, criterion_id: str) -> Criterion:
        """Return the criterion ``criterion_id``."""
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    def flag_rule(self, flag_id: str) -> FlagRule | None:
        """Return the flag rule ``flag_id``, or None when this rubric has none by that id."""
        return next((rule for rule in self.flags if rule.id == flag_id), None)


def default_rubric_path() -> Path:
    """Return the path of the packaged default rubric."""
    return RUBRICS_DIR / "default.yaml"


def packaged_rubrics() -> list[Path]:
    """Return every rubric shipped with the package."""
    return sorted(RUBRICS_DIR.glob("*.yaml"))


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Load and validate a rubric file (the packaged default when ``path`` is None).

    Every problem is reported in one ``RubricError``, each with its key path.
    """
    path = Path(path) if path is not None else default_rubric_path()
    if not path.is_file():
        raise RubricError(f"{path}: no such rubric file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RubricError(f"{path.name}: not valid YAML: {exc}") from None
    return parse_rubric(data, source=path.name)


def parse_rubric(data: Any, *, source: str = "rubric") -> Rubric:
    """Validate a rubric already parsed from YAML or JSON."""
    problems = _Problems(source)
    if not isinstance(data, Mapping):
        raise RubricError(
            f"{source}: expected a mapping with 'criteria', got {type(data).__name__}"
        )
    raw_criteria = data.get("criteria")
    criteria: list[Criterion] = []
    if not isinstance(raw_criteria, list) or not raw_criteria:
        problems.add("criteria", "missing or empty; expected a list of criteria")
        raw_criteria = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_criteria):
        criterion = _criterion(raw, f"criteria[{i}]", problems)
        if criterion is None:
            continue
        if criterion.id in seen:
            problems.add(f"criteria[{i}].id", f"{criterion.id!r} appears more than once")
        seen.add(criterion.id)
        criteria.append(criterion)
    flags = [
        rule for i, raw in enumerate(data.get("flags") or [])
        if (rule := _flag(raw, f"flags[{i}]", seen, problems)) is not None
    ]
    flag_ids: set[str] = set()
    for i, rule in enumerate(flags):
        if rule.id in flag_ids:
            problems.add(f"flags[{i}].id", f"{rule.id!r} appears more than once")
        flag_ids.add(rule.id)
    survey = [
        item for i, raw in enumerate(data.get("survey") or [])
        if (item := _survey(raw, f"survey[{i}]", problems)) is not None
    ]
    problems.raise_if_any()
    return Rubric(str(data.get("name", source)), str(data.get("version", "1")), tuple(criteria),
                  tuple(flags), tuple(survey), source)


class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{self.source}: {where}: {what}")

    def raise_if_any(self) -> None:
        if self.items:
            count = len(self.items)
            head = f"{count} problem{'s' if count > 1 else ''} in rubric {self.source}:\n  "
            raise RubricError(head + "\n  ".join(self.items))


def _suggest(value: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _behaviours(raw: Any, side: str, where: str, problems: _Problems) -> tuple[str, ...]:
    allowed = SIDES[side]
    if not isinstance(raw, list) or not raw:
        problems.add(where, f"expected a non-empty list of {side} behaviours")
        return ()
    names = []
    for j, name in enumerate(raw):
        if name not in allowed:
            listed = ", ".join(allowed)
            problems.add(f"{where}[{j}]", f"unknown behaviour {name!r}; expected a {side} "
                         f"behaviour ({listed}){_suggest(str(name), allowed)}")
        else:
            names.append(name)
    return tuple(names)


def _criterion(raw: Any, where: str, problems: _Problems) -> Criterion | None:
    if not isinstance(raw, Mapping):
        problems.add(where, "expected a mapping")
        return None
    known = {"id", "title", "description", "weight", "channels", "needed_when", "done_when",
             "needed_at", "pass_score", "due_by", "priority", "hint", "hints"}
    for key in sorted(set(raw) - known):
        problems.add(f"{where}.{key}", f"unknown key; expected one of {', '.join(sorted(known))}")
    cid = raw.get("id")
    if cid not in CRITERION_IDS:
        problems.add(f"{where}.id", f"unknown criterion id {cid!r}; expected one of "
                     f"{', '.join(CRITERION_IDS)}{_suggest(str(cid), CRITERION_IDS)}")
    weight = raw.get("weight", 1)
    if not isinstance(weight, int | float) or isinstance(weight, bool) or weight <= 0:
        problems.add(f"{where}.weight", f"must be a positive number, got {weight!r}")
        weight = 1
    channels = raw.get("channels", [c.value for c in Channel])
    valid_channels = [c.value for c in Channel]
    if not isinstance(channels, list) or not channels:
        problems.add(f"{where}.channels", "expected a non-empty list of channels")
        channels = valid_channels
    for j, channel in enumerate(channels):
        if channel not in valid_channels:
            problems.add(f"{where}.channels[{j}]", f"unknown channel {channel!r}; expected "
                         f"voice, chat or email{_suggest(str(channel), valid_channels)}")
    needed = raw.get("needed_when", "always")
    triggers: dict[str, tuple[str, ...]] = {}
    if needed != "always":
        if not isinstance(needed, Mapping) or not needed:
            problems.add(f"{where}.needed_when", f"expected 'always' or a mapping of side to "
                         f"behaviours, got {needed!r}")
        else:
            for side, names in needed.items():
                if side not in SIDES:
                    problems.add(f"{where}.needed_when.{side}", "expected 'agent' or 'customer'")
                    continue
                triggers[side] = _behaviours(names, side, f"{where}.needed_when.{side}", problems)
    done = raw.get("done_when")
    done_by: tuple[str, ...] = ()
    within = None
    full_marks = 1
    min_behaviours = 1
    if not isinstance(done, Mapping) or "agent" not in done:
        problems.add(f"{where}.done_when", "expected a mapping with an 'agent' behaviour list")
    else:
        done_by = _behaviours(done["agent"], "agent", f"{where}.done_when.agent", problems)
        within = done.get("within_turns")
        if within is not None and (not isinstance(within, int) or within < 1):
            problems.add(f"{where}.done_when.within_turns", f"must be a whole number >= 1, "
                         f"got {within!r}")
            within = None
        full_marks = done.get("full_marks", 1)
        if not isinstance(full_marks, int) or not 1 <= full_marks <= max(len(done_by), 1):
            problems.add(f"{where}.done_when.full_marks", f"must be between 1 and the number of "
                         f"done behaviours ({len(done_by)}), got {full_marks!r}")
            full_marks = 1
        min_behaviours = done.get("min_behaviours", 1)
        if not isinstance(min_behaviours, int) or not 1 <= min_behaviours <= full_marks:
            problems.add(f"{where}.done_when.min_behaviours", f"must be between 1 and "
                         f"full_marks ({full_marks}), got {min_behaviours!r}")
            min_behaviours = 1
    pass_score = raw.get("pass_score", 0.5)
    if not isinstance(pass_score, int | float) or not 0 < pass_score <= 1:
        problems.add(f"{where}.pass_score", f"must be in (0, 1], got {pass_score!r}")
        pass_score = 0.5
    needed_at = raw.get("needed_at") or {}
    needed_at_customer: tuple[str, ...] = ()
    if isinstance(needed_at, Mapping) and "customer" in needed_at:
        needed_at_customer = _behaviours(needed_at["customer"], "customer",
                                         f"{where}.needed_at.customer", problems)
    due_by = raw.get("due_by")
    if due_by is not None and due_by not in PHASES:
        problems.add(f"{where}.due_by", f"unknown phase {due_by!r}; expected one of "
                     f"{', '.join(PHASES)}{_suggest(str(due_by), PHASES)}")
        due_by = None
    hint = raw.get("hint")
    if not isinstance(hint, str) or not hint.strip():
        problems.add(f"{where}.hint", "must be a non-empty text (the coach shows it to agents)")
        hint = ""
    hints = _hints(raw.get("hints"), f"{where}.hints", problems)
    priority = raw.get("priority", 5)
    if not isinstance(priority, int) or priority < 1:
        problems.add(f"{where}.priority", f"must be a whole number >= 1, got {priority!r}")
        priority = 5
    if cid not in CRITERION_IDS:
        return None
    return Criterion(
        id=cid, title=str(raw.get("title", cid)), description=str(raw.get("description", "")),
        weight=float(weight), channels=tuple(channels), triggers=triggers, done_by=done_by,
        within_turns=within, full_marks=full_marks, min_behaviours=min_behaviours,
        pass_score=float(pass_score), needed_at_customer=needed_at_customer, due_by=due_by,
        priority=priority, hint=hint, hints=hints,
    )


def _hints(raw: Any, where: str, problems: _Problems) -> dict[str, str]:
    """Validate the optional ``hints:`` mapping of hint kind to text."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.add(where, f"expected a mapping of hint kind to text "
                     f"({', '.join(HINT_KINDS)}), got {type(raw).__name__}")
        return {}
    hints: dict[str, str] = {}
    for kind, text in raw.items():
        if kind not in HINT_KINDS:
            problems.add(f"{where}.{kind}", f"unknown hint kind {kind!r}; expected one of "
                         f"{', '.join(HINT_KINDS)}{_suggest(str(kind), HINT_KINDS)}")
        elif not isinstance(text, str) or not text.strip():
            problems.add(f"{where}.{kind}", "must be a non-empty text (the coach shows it to "
                         "agents)")
        else:
            hints[kind] = text
    return hints


def _flag(raw: Any, where: str, criteria: set[str], problems: _Problems) -> FlagRule | None:
    if not isinstance(raw, Mapping) or not raw.get("id"):
        problems.add(where, "expected a mapping with an 'id'")
        return None
    when = raw.get("when")
    if when not in FLAG_KINDS:
        problems.add(f"{where}.when", f"unknown flag kind {when!r}; expected one of "
                     f"{', '.join(FLAG_KINDS)}{_suggest(str(when), FLAG_KINDS)}")
        return None
    criterion = raw.get("criterion")
    if when in ("missed", "missed_trigger") and criterion not in criteria:
        problems.add(f"{where}.criterion", f"{criterion!r} is not a criterion of this rubric")
    trigger: tuple[str, ...] = ()
    if "trigger" in raw:
        trigger = _behaviours(raw["trigger"], "customer", f"{where}.trigger", problems)
    default = 0.4 if when == "overall_below" else 0.1
    value = raw.get("value", raw.get("margin", default))
    if not isinstance(value, int | float) or not 0 <= value <= 1:
        problems.add(f"{where}.value", f"must be between 0 and 1, got {value!r}")
        value = default
    for key in sorted(set(raw) - set(FLAG_KEYS), key=str):
        problems.add(f"{where}.{key}", f"unknown key; expected one of {', '.join(FLAG_KEYS)}")
    severity = raw.get("severity", 1)
    if not isinstance(severity, int) or isinstance(severity, bool) or severity < 1:
        problems.add(f"{where}.severity", f"must be a whole number >= 1 (higher = review "
                     f"first; the default rubric uses 1 to 3), got {severity!r}")
        severity = 1
    title = raw.get("title", "")
    if not isinstance(title, str):
        problems.add(f"{where}.title", f"must be a text, got {title!r}")
        title = ""
    return FlagRule(str(raw["id"]), when, criterion, trigger, float(value), int(severity),
                    title.strip())


def _survey(raw: Any, where: str, problems: _Problems) -> SurveyItem | None:
    if not isinstance(raw, Mapping) or not raw.get("id"):
        problems.add(where, "expected a mapping with an 'id'")
        return None
    allowed = AGENT_BEHAVIOURS + (DERIVED_QUESTION,)
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("all_of", "any_of"):
        names = raw.get(key) or []
        for j, name in enumerate(names):
            if name not in allowed:
                problems.add(f"{where}.{key}[{j}]", f"unknown behaviour {name!r}; expected an "
                             f"agent behaviour{_suggest(str(name), allowed)}")
        lists[key] = tuple(n for n in names if n in allowed)
    return SurveyItem(str(raw["id"]), str(raw.get("text", raw["id"])), lists["all_of"],
                      lists["any_of"], tuple(raw.get("unless_flags") or ()))
