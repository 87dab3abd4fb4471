"""Status, CriterionResult, Scorecard and score(): turn analyses become verdicts.

``score`` is pure: the same analyses and rubric always give the same scorecard. Every
*met* quotes the turn that shows it, every *missed* the turn where it was needed, *n/a*
never counts as missed, and a contact no agent answered is scored ``not_answered``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Literal

from agentassist.errors import ConfigError
from agentassist.evidence import Evidence
from agentassist.pipeline import TurnAnalysis
from agentassist.rubric import Criterion, FlagRule, Rubric
from agentassist.transcript import Role, Transcript

MAX_EVIDENCE = 3


class Status(StrEnum):
    """A criterion's verdict."""

    MET = "met"
    MISSED = "missed"
    NOT_APPLICABLE = "n/a"
    NOT_ANSWERED = "not_answered"


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One criterion's verdict with its score, reason and quoted evidence."""

    id: str
    status: Status
    score: float | None
    reason: str
    evidence: tuple[Evidence, ...] = ()
    margin: float = 1.0  # how far the deciding confidence was from its threshold

    def to_json(self) -> dict[str, Any]:
        """Return DESIGN.md's criterion object."""
        return {
            "id": self.id,
            "status": self.status.value,
            "score": None if self.score is None else round(self.score, 4),
            "reason": self.reason,
            "evidence": [ev.to_json() for ev in self.evidence],
            "margin": round(self.margin, 4),
        }


@dataclass(frozen=True, slots=True)
class Flag:
    """Why a trainer should look at this conversation, and at which turn."""

    id: str
    turn: int | None
    reason: str
    severity: int = 1

    def to_json(self) -> dict[str, Any]:
        """Return DESIGN.md's flag object."""
        return {"id": self.id, "turn": self.turn, "reason": self.reason, "severity": self.severity}


@dataclass(frozen=True, slots=True)
class Scorecard:
    """A transcript scored against a rubric."""

    transcript_id: str
    language: str
    channel: str
    criteria: tuple[CriterionResult, ...]
    turns: tuple[dict[str, Any], ...]
    flags: tuple[Flag, ...]
    overall: float
    survey: dict[str, bool] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    rubric: str = "default"

    @property
    def answered(self) -> bool:
        """Tell whether an agent answered the contact."""
        return not any(c.status is Status.NOT_ANSWERED for c in self.criteria)

    def result(self, criterion_id: str) -> CriterionResult:
        """Return the result of ``criterion_id``."""
        return next(c for c in self.criteria if c.id == criterion_id)

    def to_json(self) -> dict[str, Any]:
        """Return DESIGN.md's scorecard JSON (plus ``survey``, ``metadata``, ``rubric``)."""
        return {
            "transcript_id": self.transcript_id,
            "language": self.language,
            "channel": self.channel,
            "criteria": [c.to_json() for c in self.criteria],
            "turns": list(self.turns),
            "flags": [f.to_json() for f in self.flags],
            "overall": round(self.overall, 4),
            "survey": dict(self.survey),
            "metadata": dict(self.metadata),
            "rubric": self.rubric,
        }


def score(transcript: Transcript, analyses: Sequence[TurnAnalysis], rubric: Rubric) -> Scorecard:
    """Score ``transcript`` from its turn analyses against ``rubric``."""
    turns = tuple(
        {"turn": a.index, "speaker": a.role.value,
         "behaviours": {k: round(v, 4) for k, v in a.confidences.items()},
         "present": sorted(a.present)}
        for a in analyses
    )
    common = {
        "transcript_id": transcript.id, "language": transcript.language,
        "channel": transcript.channel.value, "turns": turns,
        "metadata": _jsonable(transcript.metadata), "rubric": f"{rubric.name} v{rubric.version}",
    }
    if not transcript.answered:
        results = tuple(
            CriterionResult(c.id, Status.NOT_ANSWERED, 0.0, "no agent answered this contact")
            for c in rubric.criteria
        )
        flags = _not_answered_flags(rubric)
        return Scorecard(criteria=results, flags=flags, overall=0.0,
                         survey={item.id: False for item in rubric.survey}, **common)
    results = tuple(_judge(c, transcript, analyses) for c in rubric.criteria)
    applicable = [(c, r) for c, r in zip(rubric.criteria, results, strict=True)
                  if r.score is not None]
    total = sum(c.weight for c, _ in applicable)
    overall = sum(c.weight * (r.score or 0.0) for c, r in applicable) / total if total else 0.0
    flags = _flags(rubric, results, analyses, overall)
    survey = _survey(rubric, analyses, flags)
    return Scorecard(criteria=results, flags=flags, overall=overall, survey=survey, **common)


# -- judging one criterion ------------------------------------------------------------


def _judge(criterion: Criterion, transcript: Transcript,
           analyses: Sequence[TurnAnalysis]) -> CriterionResult:
    if transcript.channel.value not in criterion.channels:
        return CriterionResult(criterion.id, Status.NOT_APPLICABLE, None,
                               f"not judged on the {transcript.channel.value} channel")
    if criterion.always:
        return _judge_always(criterion, transcript, analyses)
    return _judge_triggered(criterion, analyses)


def _judge_always(criterion: Criterion, transcript: Transcript,
                  analyses: Sequence[TurnAnalysis]) -> CriterionResult:
    agent = [a for a in analyses if a.role is Role.AGENT]
    found: dict[str, Evidence] = {}
    for analysis in agent:
        for behaviour in criterion.done_by:
            ev = analysis.best(behaviour)
            if ev is not None and (
                behaviour not in found or ev.confidence > found[behaviour].confidence
            ):
                found[behaviour] = ev
    shown = [b for b in criterion.done_by if b in found]
    score = min(1.0, len(shown) / criterion.full_marks)
    if len(shown) >= criterion.min_behaviours:
        evidence = tuple(sorted((found[b] for b in shown), key=lambda ev: ev.turn))[:MAX_EVIDENCE]
        weakest = min(found[b].confidence - _threshold(agent, b) for b in shown)
        named = " and ".join(_words(b) for b in shown)
        return CriterionResult(
            criterion.id, Status.MET, score,
            f"met: the agent shows {named} (turn {', '.join(str(ev.turn) for ev in evidence)})",
            evidence, weakest,
        )
    needed = _needed_at(criterion, transcript, analyses)
    closest = max((a.confidences.get(b, 0.0) - _threshold([a], b)
                   for a in agent for b in criterion.done_by), default=-1.0)
    listed = " or ".join(_words(b) for b in criterion.done_by)
    return CriterionResult(
        criterion.id, Status.MISSED, 0.0,
        f"missed: no agent turn shows {listed} (needed from turn {needed.turn})",
        (needed,), -closest,
    )


def _needed_at(criterion: Criterion, transcript: Transcript,
               analyses: Sequence[TurnAnalysis]) -> Evidence:
    """Return the turn to quote when an always-needed criterion is missed.

    The customer's first turn showing a ``needed_at`` behaviour (their need), else the
    agent's first turn, quoted whole, with the done-behaviour that came closest there.
    """
    for analysis in analyses:
        for behaviour in criterion.needed_at_customer:
            if analysis.role is Role.CUSTOMER and behaviour in analysis.present:
                found = analysis.best(behaviour)
                if found is not None:
                    return found
    first = next(
        a for a in analyses if a.role is Role.AGENT and transcript.turns[a.index].text.strip()
    )
    text = transcript.turns[first.index].text
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    closest = max(criterion.done_by, key=lambda b: first.confidences.get(b, 0.0))
    return Evidence(first.index, Role.AGENT.value, closest, text[start:end], start, end,
                    first.confidences.get(closest, 0.0),
                    f"the agent's first turn, where {_words(closest)} was expected")


def _judge_triggered(criterion: Criterion, analyses: Sequence[TurnAnalysis]) -> CriterionResult:
    episodes = _episodes(criterion, analyses)
    if not episodes:
        names = " or ".join(_words(b) for side in criterion.triggers.values() for b in side)
        return CriterionResult(criterion.id, Status.NOT_APPLICABLE, None,
                               f"n/a: no turn showed {names}, so it was not needed")
    answered: list[Evidence] = []
    unanswered: list[Evidence] = []
    margins = []
    for trigger, window in episodes:
        response = _best_response(criterion, window)
        if response is not None:
            answered.append(response)
            margins.append(response.confidence - _threshold(window, response.behaviour))
        else:
            unanswered.append(trigger)
            margins.append(-max((a.confidences.get(b, 0.0) - _threshold([a], b)
                                 for a in window for b in criterion.done_by), default=-1.0))
    score = len(answered) / len(episodes)
    listed = " or ".join(_words(b) for b in criterion.done_by)
    span = (f"within the agent's next {criterion.within_turns} turns"
            if criterion.within_turns else "afterwards")
    margin = min(abs(m) for m in margins)
    if score >= criterion.pass_score:
        detail = f"({len(answered)} of {len(episodes)} times it was needed)"
        return CriterionResult(
            criterion.id, Status.MET, score,
            f"met: the agent showed {listed} {span} {detail}", tuple(answered[:MAX_EVIDENCE]),
            margin,
        )
    where = ", ".join(str(ev.turn) for ev in unanswered[:MAX_EVIDENCE])
    what = _words(unanswered[0].behaviour)
    return CriterionResult(
        criterion.id, Status.MISSED, score,
        f"missed: the {unanswered[0].speaker} showed {what} at turn {where} and the agent "
        f"showed no {listed} {span} ({len(answered)} of {len(episodes)} answered)",
        tuple(unanswered[:MAX_EVIDENCE]), margin,
    )


def _episodes(criterion: Criterion, analyses: Sequence[TurnAnalysis]
              ) -> list[tuple[Evidence, list[TurnAnalysis]]]:
    """Return each trigger (the first of a run with no agent turn between) and its window.

    A customer trigger is answered in the agent's next ``within_turns`` turns; an agent
    trigger (information given) in that turn or any later agent turn. A trigger the
    conversation ends on, with no agent turn after it, is not counted.
    """
    episodes: list[tuple[Evidence, list[TurnAnalysis]]] = []
    open_run = False
    for i, analysis in enumerate(analyses):
        names = criterion.triggers.get(analysis.role.value, ())
        hit = next((analysis.best(b) for b in names if b in analysis.present), None)
        if analysis.role is Role.AGENT and "customer" in criterion.triggers:
            open_run = False
        if hit is None:
            continue
        if analysis.role is Role.AGENT:
            later = [a for a in analyses[i:] if a.role is Role.AGENT]
            episodes.append((hit, later))
            break  # one episode: the first solution given, answered at or after it
        if open_run:
            continue
        window = [a for a in analyses[i + 1:] if a.role is Role.AGENT]
        if criterion.within_turns is not None:
            window = window[: criterion.within_turns]
        if window:
            episodes.append((hit, window))
            open_run = True
    return episodes


def _best_response(criterion: Criterion, window: Sequence[TurnAnalysis]) -> Evidence | None:
    candidates = [ev for a in window for b in criterion.done_by
                  if b in a.present and (ev := a.best(b)) is not None]
    return min(candidates, key=lambda ev: (ev.turn, -ev.confidence), default=None)


def _threshold(analyses: Sequence[TurnAnalysis], behaviour: str) -> float:
    for analysis in analyses:
        if behaviour in analysis.thresholds:
            return analysis.thresholds[behaviour]
    return 0.5


def _words(name: str) -> str:
    return name.replace("_", " ")


# -- flags and survey -----------------------------------------------------------------


def _flags(rubric: Rubric, results: Sequence[CriterionResult],
           analyses: Sequence[TurnAnalysis], overall: float) -> tuple[Flag, ...]:
    by_id = {r.id: r for r in results}
    flags: list[Flag] = []
    for rule in rubric.flags:
        flags.extend(_flag(rule, by_id, results, overall))
    return tuple(sorted(flags, key=lambda f: (-f.severity, f.turn if f.turn is not None else -1)))


def _flag(rule: FlagRule, by_id: dict[str, CriterionResult],
          results: Sequence[CriterionResult], overall: float) -> list[Flag]:
    if rule.when == "overall_below":
        if overall >= rule.value:
            return []
        missed = [r for r in results if r.status is Status.MISSED and r.evidence]
        turn = missed[0].evidence[0].turn if missed else None
        return [Flag(rule.id, turn, f"overall score {overall:.2f} is below {rule.value:.2f}",
                     rule.severity)]
    if rule.when == "not_answered":
        return []  # raised by score() itself, for contacts no agent answered
    if rule.when == "uncertain":
        unsure = [r for r in results if r.score is not None and abs(r.margin) < rule.value]
        return [
            Flag(rule.id, r.evidence[0].turn if r.evidence else None,
                 f"the {r.status.value} verdict on {r.id} rests on a confidence within "
                 f"{rule.value:.2f} of the model's threshold", rule.severity)
            for r in unsure
        ]
    result = by_id.get(rule.criterion or "")
    if result is None or result.status is not Status.MISSED:
        return []
    if rule.when == "missed":
        turn = result.evidence[0].turn if result.evidence else None
        return [Flag(rule.id, turn, result.reason, rule.severity)]
    return [
        Flag(rule.id, ev.turn, f"the {ev.speaker} showed {_words(ev.behaviour)} at turn "
             f"{ev.turn} ({ev.quote[:60]!r}) and it was not answered", rule.severity)
        for ev in result.evidence
        if not rule.trigger or ev.behaviour in rule.trigger
    ]


def _survey(rubric: Rubric, analyses: Sequence[TurnAnalysis],
            flags: Sequence[Flag]) -> dict[str, bool]:
    shown = set().union(*(a.present for a in analyses if a.role is Role.AGENT))
    raised = {f.id for f in flags}
    return {
        item.id: all(b in shown for b in item.all_of)
        and (not item.any_of or any(b in shown for b in item.any_of))
        and not (raised & set(item.unless_flags))
        for item in rubric.survey
    }


def _jsonable(metadata: Any) -> dict[str, Any]:
    return {str(k): v if isinstance(v, str | int | float | bool | None) else str(v)
            for k, v in dict(metadata).items()}


def _not_answered_flags(rubric: Rubric) -> tuple[Flag, ...]:
    """Return the flag for a contact no agent answered (the rubric's rule, else a default)."""
    rules = [rule for rule in rubric.flags if rule.when == "not_answered"]
    if not rules:
        return (Flag("not_answered", None, "no agent answered this contact", 3),)
    return tuple(Flag(rule.id, None, "no agent answered this contact", rule.severity)
                 for rule in rules)


# -- ordering for review ----------------------------------------------------------------

#: How a review queue can be ordered: worst flags first, or the machine's closest calls first.
REVIEW_ORDERS: Final = ("severity", "uncertainty")
ReviewOrder = Literal["severity", "uncertainty"]


def flag_severity(scorecard: Scorecard | Mapping[str, Any]) -> int:
    """Return the highest flag severity of a scorecard (or its JSON); 0 when unflagged.

    Example:
        >>> flag_severity({"flags": [{"id": "a", "severity": 2}, {"id": "b", "severity": 3}]})
        3
        >>> flag_severity({"flags": []})
        0
    """
    if isinstance(scorecard, Scorecard):
        return max((f.severity for f in scorecard.flags), default=0)
    return max((int(f.get("severity", 1)) for f in scorecard.get("flags", ())), default=0)


def verdict_uncertainty(scorecard: Scorecard | Mapping[str, Any]) -> float:
    """Return how unsure the machine was: 1 minus the smallest margin of a met/missed verdict.

    A margin is how far the deciding confidence was from its threshold, so 1.0 means a
    verdict sat exactly on the threshold and 0.0 that every verdict was clear (or that
    the JSON carries no margins, as scorecards written before margins were added).

    Example:
        >>> verdict_uncertainty({"criteria": [{"status": "met", "margin": 0.3},
        ...                                   {"status": "missed", "margin": 0.05},
        ...                                   {"status": "n/a", "margin": 0.0}]})
        0.95
    """
    if isinstance(scorecard, Scorecard):
        margins = [r.margin for r in scorecard.criteria
                   if r.status in (Status.MET, Status.MISSED)]
    else:
        margins = [float(c["margin"]) for c in scorecard.get("criteria", ())
                   if c.get("status") in ("met", "missed") and c.get("margin") is not None]
    if not margins:
        return 0.0
    return round(1.0 - min(1.0, min(abs(m) for m in margins)), 4)


def review_key(scorecard: Scorecard | Mapping[str, Any], *,
               by: ReviewOrder = "severity") -> tuple[float, ...]:
    """Return a sort key that puts what a trainer should review first, first.

    ``by="severity"``: highest flag severity, then most flags, then the closest call,
    then the lowest overall score. ``by="uncertainty"``: the machine's closest call first,
    then severity.

    Example:
        >>> calm = {"flags": [], "criteria": [], "overall": 0.9}
        >>> upset = {"flags": [{"id": "unacknowledged_distress", "severity": 3}],
        ...          "criteria": [], "overall": 0.5}
        >>> unsure = {"flags": [{"id": "uncertain_verdict", "severity": 1}],
        ...           "criteria": [{"status": "met", "margin": 0.02}], "overall": 0.8}
        >>> cards = {"calm": calm, "upset": upset, "unsure": unsure}
        >>> sorted(cards, key=lambda name: review_key(cards[name]))
        ['upset', 'unsure', 'calm']
        >>> sorted(cards, key=lambda name: review_key(cards[name], by="uncertainty"))
        ['unsure', 'upset', 'calm']
    """
    if by not in REVIEW_ORDERS:
        raise ConfigError(f"review order must be one of {', '.join(REVIEW_ORDERS)}, got {by!r}")
    severity = flag_severity(scorecard)
    uncertainty = verdict_uncertainty(scorecard)
    if isinstance(scorecard, Scorecard):
        flags, overall = len(scorecard.flags), scorecard.overall
    else:
        flags, overall = len(scorecard.get("flags", ())), float(scorecard.get("overall") or 0.0)
    if by == "uncertainty":
        return (-uncertainty, -severity, -flags, overall)
    return (-severity, -flags, -uncertainty, overall)
