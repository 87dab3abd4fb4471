"""Phase, Hint, Coach: the live state machine that turns turn analyses into hints.

The coach is synchronous and deterministic: no models, no I/O, no clock. It counts
turns, reads the behaviours the pipeline found, and shows wording taken only from the
rubric, so it can never make up a name or a fact. The WebSocket route only adapts it.

Phases (:func:`next_phase`, one step at most per turn, never backwards):

==========  ===========  ================================================================
from        to           when the turn…
==========  ===========  ================================================================
opening     discovery    is a customer turn showing a need, a question, negative emotion
                         or confusion; or is an agent turn at index 2 or later (the agent
                         is answering, so the opening is over)
discovery   resolution   is an agent turn giving information or guidance
discovery   closing      is an agent turn with a goodbye cue ("anything else I can help
                         with?") or a customer turn with one ("that's everything, bye")
resolution  closing      is an agent turn checking understanding, or carries a goodbye cue
closing     closing      (final)
==========  ===========  ================================================================

Hint rules (one ``kind`` each; the rubric may word each kind per criterion):

- ``distress`` (acknowledge_feelings): a customer turn shows negative emotion (at
  ``trigger_confidence`` or more), the first of a run, and the criterion is armed: hint
  right after that customer turn. The hint
  disarms it; a distress episode the agent leaves unanswered (no empathy or
  acknowledgement in the agent's next ``within_turns`` turns, or new distress before
  any) re-arms it. An agent who answered the last distress is not told again.
- ``confusion`` (clear_information): the same, for customer confusion, answered by
  information.
- ``closed_questions`` (interest_in_needs): in discovery, the agent has asked
  :data:`CLOSED_QUESTIONS_BEFORE_HINT` closed questions and no open question yet.
- ``overdue`` (any criterion with ``due_by``): the phase has moved past ``due_by`` and
  the agent has not shown the criterion's behaviours (for unique_customer, due by the
  opening: no personal greeting).
- ``name_unused`` (unique_customer): the customer gave their name and the agent's
  next turn did not use it (no personalization since).
- ``unconfirmed`` (confirm_solution): the conversation reaches closing while the
  first information the agent gave has not been checked (as in scoring: a check of
  understanding at or after it counts).

Few and relevant: at most one hint per criterion per conversation (re-arming aside),
at most one hint per ``cooldown_turns`` turns, the most urgent first (the rubric's
``priority``, 1 first). A hint held back by the cooldown is shown later only if its
situation still holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from agentassist.behaviours import DERIVED_QUESTION
from agentassist.detectors.personalization import NAME_INTRO, NOT_NAMES
from agentassist.errors import ConfigError
from agentassist.pipeline import TurnAnalysis
from agentassist.rubric import Criterion, Rubric
from agentassist.transcript import Channel, Role


class Phase(StrEnum):
    """Where a conversation is: the coach's coarse state."""

    OPENING = "opening"
    DISCOVERY = "discovery"
    RESOLUTION = "resolution"
    CLOSING = "closing"


PHASE_ORDER: Final[tuple[Phase, ...]] = tuple(Phase)
#: Closed questions the agent may ask in discovery before the coach suggests an open one.
CLOSED_QUESTIONS_BEFORE_HINT: Final = 2
#: How sure a customer trigger must be to interrupt the agent with a hint. Scoring uses
#: each model's own threshold (tuned for recall); a hint needs more, since a wrong one
#: nags a good agent ("That's brilliant, thank you" read as distress at 0.36).
TRIGGER_CONFIDENCE: Final = 0.6
#: Customer-triggered criteria the coach hints about: criterion id -> (kind, behaviour).
CUSTOMER_TRIGGERS: Final[dict[str, tuple[str, str]]] = {
    "acknowledge_feelings": ("distress", "negative_emotion"),
    "clear_information": ("confusion", "confusion"),
}
DISCOVERY_CUES: Final = frozenset({"need", DERIVED_QUESTION, "open_question", "closed_question",
                                   "negative_emotion", "confusion"})
AGENT_GOODBYE: Final = re.compile(
    r"\b(anything else (i|we) can|is there anything else|anything else\?|good ?bye|bye( now)?\b|"
    r"take care|have a (nice|good|great|lovely|safe) (day|evening|afternoon|weekend|trip|journey)|"
    r"safe travels|thanks? (you )?for (calling|contacting|getting in touch)|"
    r"enjoy the rest of your)"
)
CUSTOMER_GOODBYE: Final = re.compile(
    r"\b(that's (everything|all|it)|that is (everything|all)|good ?bye|bye\b|"
    r"thanks? (you )?(so much )?for (your|the) help|you've been (really |very |so )?"
    r"(helpful|kind|great)|have a (nice|good|great|lovely) (day|evening|weekend))"
)


def goodbye_cue(role: Role | str, text: str) -> bool:
    """Tell whether ``text`` says the conversation is wrapping up, for a turn of ``role``.

    Example:
        >>> goodbye_cue("agent", "Is there anything else I can help with?")
        True
        >>> goodbye_cue("customer", "Is there anything else? I read you do taxis.")
        False
    """
    folded = text.lower().replace("\u2019", "'")
    if role == Role.AGENT:
        return AGENT_GOODBYE.search(folded) is not None
    if role == Role.CUSTOMER:
        return CUSTOMER_GOODBYE.search(folded) is not None
    return False


def next_phase(phase: Phase, analysis: TurnAnalysis, *, text: str = "") -> Phase:
    """Return the phase after the turn ``analysis`` (``text`` adds the goodbye cues).

    Pure: the table in this module's docstring, one step at most, never backwards.

    Example:
        >>> from agentassist.transcript import Role
        >>> turn = TurnAnalysis(3, Role.AGENT, {}, frozenset({"information"}))
        >>> next_phase(Phase.DISCOVERY, turn)
        <Phase.RESOLUTION: 'resolution'>
    """
    role = analysis.role
    present = analysis.present
    if role is Role.SYSTEM or phase is Phase.CLOSING:
        return phase
    if phase is Phase.OPENING:
        if role is Role.CUSTOMER and present & DISCOVERY_CUES:
            return Phase.DISCOVERY
        if role is Role.AGENT and analysis.index >= 2:
            return Phase.DISCOVERY
        return phase
    if goodbye_cue(role, text):
        return Phase.CLOSING
    if phase is Phase.DISCOVERY:
        if role is Role.AGENT and present & {"information", "guidance"}:
            return Phase.RESOLUTION
        return phase
    if role is Role.AGENT and "check_understanding" in present:
        return Phase.CLOSING
    return phase


@dataclass(frozen=True, slots=True)
class Hint:
    """A short text shown live to an agent, for one criterion.

    ``turn`` is the index of the turn whose situation triggered it (a hint held back
    by the cooldown is shown at a later turn). ``priority`` is the criterion's: 1 is
    the most urgent.
    """

    kind: str
    criterion: str
    text: str
    priority: int
    turn: int

    def to_json(self) -> dict[str, Any]:
        """Return DESIGN.md's hint object (``turn`` stays out of the wire format)."""
        return {"kind": self.kind, "criterion": self.criterion, "text": self.text,
                "priority": self.priority}


@dataclass(slots=True)
class _Episode:
    """One run of a customer trigger (distress, confusion) and the agent's answer to it."""

    turn: int
    agent_turns: int = 0
    answered: bool = False
    hinted: bool = False

    def open(self, within: int | None) -> bool:
        return not self.answered and (within is None or self.agent_turns < within)


@dataclass(frozen=True, slots=True)
class _Candidate:
    criterion: Criterion
    kind: str
    turn: int

    @property
    def order(self) -> tuple[int, int]:
        return self.criterion.priority, self.turn


@dataclass(slots=True)
class _State:
    phase: Phase = Phase.OPENING
    turns: int = 0
    last_hint: int | None = None
    hinted: set[str] = field(default_factory=set)
    armed: dict[str, bool] = field(default_factory=dict)
    episodes: dict[str, _Episode] = field(default_factory=dict)
    shown: set[str] = field(default_factory=set)
    closed_questions: int = 0
    info_at: int | None = None
    confirmed: bool = False
    name_at: int | None = None
    agent_turns_since_name: int = 0
    name_used: bool = False
    due_since: dict[tuple[str, str], int] = field(default_factory=dict)


class Coach:
    """Watch a conversation turn by turn and say when a hint would help.

    Example:
        >>> from agentassist.rubric import load_rubric
        >>> from agentassist.transcript import Role
        >>> coach = Coach(load_rubric())
        >>> upset = TurnAnalysis(1, Role.CUSTOMER, {"negative_emotion": 0.9},
        ...                      frozenset({"negative_emotion"}))
        >>> [hint.criterion for hint in coach.observe(upset)]
        ['acknowledge_feelings']
    """

    def __init__(self, rubric: Rubric, *, cooldown_turns: int = 3,
                 channel: Channel | str = Channel.VOICE,
                 trigger_confidence: float = TRIGGER_CONFIDENCE) -> None:
        if isinstance(cooldown_turns, bool) or not isinstance(cooldown_turns, int) \
                or cooldown_turns < 0:
            raise ConfigError(f"cooldown_turns must be a whole number >= 0, got {cooldown_turns!r}")
        if isinstance(trigger_confidence, bool) or not isinstance(trigger_confidence, int | float) \
                or not 0 <= trigger_confidence <= 1:
            raise ConfigError(f"trigger_confidence must be between 0 and 1, got "
                              f"{trigger_confidence!r}")
        self.trigger_confidence = float(trigger_confidence)
        if channel not in {c.value for c in Channel}:
            raise ConfigError(f"unknown channel {channel!r}; expected voice, chat or email")
        self.rubric = rubric
        self.cooldown_turns = cooldown_turns
        self.channel = str(Channel(channel))
        self.criteria = tuple(c for c in rubric.criteria if self.channel in c.channels)
        self._state = _State(armed=dict.fromkeys(CUSTOMER_TRIGGERS, True))
        self.hints: list[Hint] = []

    @property
    def phase(self) -> Phase:
        """Return the conversation's current phase."""
        return self._state.phase

    def observe(self, analysis: TurnAnalysis, *, text: str = "") -> list[Hint]:
        """Take the next turn's analysis and return the hints to show now (usually none).

        ``text`` is the turn's text: it is read for goodbye cues and for the customer
        giving their name, never copied into a hint. ``system`` turns are ignored.
        """
        if analysis.role is Role.SYSTEM:
            return []
        state = self._state
        state.turns += 1
        state.phase = next_phase(state.phase, analysis, text=text)
        if analysis.role is Role.AGENT:
            self._agent_turn(analysis)
        else:
            self._customer_turn(analysis, text)
        return self._emit(self._candidates(analysis.index))

    # -- state updates -------------------------------------------------------------

    def _agent_turn(self, analysis: TurnAnalysis) -> None:
        state = self._state
        present = analysis.present
        state.shown |= present
        if "closed_question" in present and not present & {"open_question", "interest"}:
            state.closed_questions += 1
        for cid, episode in state.episodes.items():
            criterion = self._criterion(cid)
            if criterion is None or not episode.open(criterion.within_turns):
                continue
            episode.agent_turns += 1
            if present & set(criterion.done_by):
                episode.answered = True
            elif not episode.open(criterion.within_turns):
                state.armed[cid] = True  # left unanswered: the next episode may hint again
        confirm = self._criterion("confirm_solution")
        if confirm is not None:
            # As in scoring: the first solution given, checked then or at any later turn.
            if state.info_at is None and present & set(confirm.triggers.get("agent", ())):
                state.info_at = analysis.index
            if state.info_at is not None and present & set(confirm.done_by):
                state.confirmed = True
        if state.name_at is not None:
            state.agent_turns_since_name += 1
            if "personalization" in present:
                state.name_used = True

    def _customer_turn(self, analysis: TurnAnalysis, text: str) -> None:
        state = self._state
        for cid, (_, behaviour) in CUSTOMER_TRIGGERS.items():
            criterion = self._criterion(cid)
            if criterion is None or behaviour not in analysis.present \
                    or analysis.confidences.get(behaviour, 0.0) < self.trigger_confidence:
                continue
            previous = state.episodes.get(cid)
            if previous is not None and previous.agent_turns == 0:
                continue  # the same run (no agent turn between): one episode
            if previous is not None and previous.open(criterion.within_turns):
                state.armed[cid] = True  # new distress before any answer to the last one
            state.episodes[cid] = _Episode(analysis.index)
        if state.name_at is None and _gives_name(text):
            state.name_at = analysis.index
            state.agent_turns_since_name = 0
            state.name_used = False

    # -- which hints are due ---------------------------------------------------------

    def _candidates(self, index: int) -> list[_Candidate]:
        state = self._state
        found: list[_Candidate] = []
        for criterion in self.criteria:
            cid = criterion.id
            if cid in CUSTOMER_TRIGGERS:
                episode = state.episodes.get(cid)
                if episode is not None and state.armed[cid] and not episode.hinted \
                        and episode.open(criterion.within_turns):
                    found.append(_Candidate(criterion, CUSTOMER_TRIGGERS[cid][0], episode.turn))
                continue
            if cid in state.hinted:
                continue
            candidate = self._always_candidate(criterion, index)
            if candidate is not None:
                found.append(candidate)
        return found

    def _always_candidate(self, criterion: Criterion, index: int) -> _Candidate | None:
        state = self._state
        cid = criterion.id
        if cid == "confirm_solution":
            if state.phase is Phase.CLOSING and state.info_at is not None \
                    and not state.confirmed:
                return _Candidate(criterion, "unconfirmed", index)
            return None
        done = len(set(criterion.done_by) & state.shown) >= criterion.min_behaviours
        if cid == "unique_customer" and state.name_at is not None and not state.name_used \
                and state.agent_turns_since_name >= 1:
            return _Candidate(criterion, "name_unused", state.name_at)
        if not criterion.always or criterion.due_by is None or done:
            return None
        if _past(state.phase, criterion.due_by):
            kind = "overdue"
        elif cid == "interest_in_needs" and state.phase is Phase.DISCOVERY \
                and state.closed_questions >= CLOSED_QUESTIONS_BEFORE_HINT:
            kind = "closed_questions"
        else:
            return None
        # The turn that made it due, so a hint held back by the cooldown still names it.
        return _Candidate(criterion, kind, state.due_since.setdefault((cid, kind), index))

    def _emit(self, candidates: Iterable[_Candidate]) -> list[Hint]:
        state = self._state
        ordered = sorted(candidates, key=lambda c: c.order)
        if not ordered:
            return []
        if state.last_hint is not None and state.turns - state.last_hint < self.cooldown_turns:
            return []
        chosen = ordered if self.cooldown_turns == 0 else ordered[:1]
        hints = []
        for candidate in chosen:
            cid = candidate.criterion.id
            state.hinted.add(cid)
            if cid in CUSTOMER_TRIGGERS:
                state.armed[cid] = False
                state.episodes[cid].hinted = True
            hints.append(Hint(candidate.kind, cid, candidate.criterion.hint_for(candidate.kind),
                              candidate.criterion.priority, candidate.turn))
        state.last_hint = state.turns
        self.hints.extend(hints)
        return hints

    def _criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)


def _past(phase: Phase, due_by: str) -> bool:
    return PHASE_ORDER.index(phase) > PHASE_ORDER.index(Phase(due_by))


def _gives_name(text: str) -> bool:
    """Tell whether a customer turn gives the customer's name ("It's Daniel")."""
    return any((match.group(1) or match.group(2)) not in NOT_NAMES
               for match in NAME_INTRO.finditer(text))


__all__ = ["Coach", "Hint", "Phase", "goodbye_cue", "next_phase"]
