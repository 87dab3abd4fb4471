"""Trainer review: the queue of flagged conversations, verdict overrides, turn corrections.

Tables share ``agentassist.store.Base`` (the batch jobs' database). A reviewed
conversation keeps its own copy of the transcript and scorecard JSON, so review never
depends on how batch jobs store theirs. Every override, correction and note records who
and when; nothing is overwritten (the latest row per criterion or turn behaviour is the
current one), so the agreement report and the feedback export can be audited.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import (
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    exists,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from agentassist import auth
from agentassist.auth import UserRole, UTCDateTime, utcnow
from agentassist.errors import InputError
from agentassist.scoring import (
    REVIEW_ORDERS,
    Scorecard,
    flag_severity,
    verdict_uncertainty,
)
from agentassist.store import Base, Store, isoformat_utc
from agentassist.transcript import Channel, Role, Transcript, Turn

logger = logging.getLogger(__name__)

REVIEW_STATUSES: Final = ("open", "done")
ACTIONS: Final = ("confirm", "overrule")
#: What a trainer may set a verdict to (``not_answered`` is a fact, not a judgement).
VERDICT_STATUSES: Final = ("met", "missed", "n/a")
CONTEXT_TURNS: Final = 20
MAX_NOTE_CHARS: Final = 5000


class ReviewNotFoundError(InputError, LookupError):
    """No reviewed conversation has the id asked for."""


# -- tables -----------------------------------------------------------------------------------


class Review(Base):
    """A conversation in the review queue: its transcript, scorecard and review state."""

    __tablename__ = "review_conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transcript_id: Mapped[str] = mapped_column(String(500), unique=True)
    source: Mapped[str] = mapped_column(String(1000), default="", index=True)
    agent_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    team: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    date: Mapped[dt.date | None] = mapped_column(nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(20))
    overall: Mapped[float] = mapped_column(Float)
    severity: Mapped[int] = mapped_column(Integer, index=True)
    flag_count: Mapped[int] = mapped_column(Integer)
    uncertainty: Mapped[float] = mapped_column(Float, index=True)
    transcript_json: Mapped[str] = mapped_column(Text)
    scorecard_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ReviewFlag(Base):
    """One flag of a queued conversation (for filtering the queue by flag)."""

    __tablename__ = "review_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("review_conversations.id", ondelete="CASCADE"), index=True)
    flag_id: Mapped[str] = mapped_column(String(100), index=True)
    turn: Mapped[int | None] = mapped_column(Integer, nullable=True)
    severity: Mapped[int] = mapped_column(Integer)


class VerdictOverride(Base):
    """A trainer confirmed or overruled one criterion's verdict."""

    __tablename__ = "review_verdicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("review_conversations.id", ondelete="CASCADE"), index=True)
    criterion: Mapped[str] = mapped_column(String(100))
    machine_status: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))  # the trainer's verdict
    who: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TurnCorrection(Base):
    """A trainer's decision on one behaviour of one turn (equal to the machine's = confirmed)."""

    __tablename__ = "review_turn_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("review_conversations.id", ondelete="CASCADE"), index=True)
    turn: Mapped[int] = mapped_column(Integer)
    behaviour: Mapped[str] = mapped_column(String(50))
    machine_value: Mapped[int] = mapped_column(Integer)
    machine_confidence: Mapped[float] = mapped_column(Float)
    value: Mapped[int] = mapped_column(Integer)
    who: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CoachingNote(Base):
    """A trainer's note for the agent of a reviewed conversation."""

    __tablename__ = "review_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_conversations.id", ondelete="CASCADE"), nullable=True, index=True)
    agent_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# -- records that leave the store ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What :func:`import_scorecards` did: ids added, and how many were skipped and why."""

    added: list[int] = field(default_factory=list)
    already_queued: int = 0
    unflagged: int = 0

    def to_json(self) -> dict[str, Any]:
        """Return the counts as JSON."""
        return {"added": len(self.added), "ids": list(self.added),
                "already_queued": self.already_queued, "unflagged": self.unflagged}


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Which queued conversations to list, and in what order."""

    agent: str | None = None
    team: str | None = None
    flag: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    status: Literal["open", "done"] | None = "open"
    order: Literal["severity", "uncertainty"] = "severity"
    limit: int = 100
    offset: int = 0

    def __post_init__(self) -> None:
        if self.order not in REVIEW_ORDERS:
            raise InputError(f"order must be one of {', '.join(REVIEW_ORDERS)}, got {self.order!r}")
        if self.status is not None and self.status not in REVIEW_STATUSES:
            raise InputError(f"status must be open or done, got {self.status!r}")
        if not 1 <= self.limit <= 1000 or self.offset < 0:
            raise InputError(f"limit must be 1-1000 and offset >= 0, got {self.limit}, "
                             f"{self.offset}")


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One row of the review queue."""

    id: int
    transcript_id: str
    agent_id: str | None
    team: str | None
    date: dt.date | None
    channel: str
    overall: float
    severity: int
    uncertainty: float
    flags: tuple[str, ...]
    status: str
    reviewed_by: str | None
    reviewed_at: datetime | None
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        """Return the row as JSON."""
        return {"id": self.id, "transcript_id": self.transcript_id, "agent_id": self.agent_id,
                "team": self.team, "date": isoformat_utc(self.date), "channel": self.channel,
                "overall": round(self.overall, 4), "severity": self.severity,
                "uncertainty": self.uncertainty, "flags": list(self.flags),
                "status": self.status, "reviewed_by": self.reviewed_by,
                "reviewed_at": isoformat_utc(self.reviewed_at), "source": self.source}


@dataclass(frozen=True, slots=True)
class VerdictRecord:
    """A criterion verdict as the trainer left it."""

    review_id: int
    criterion: str
    machine_status: str
    action: str
    status: str
    who: str
    at: datetime

    def to_json(self) -> dict[str, Any]:
        """Return the record as JSON."""
        return {"criterion": self.criterion, "machine_status": self.machine_status,
                "action": self.action, "status": self.status, "who": self.who,
                "at": isoformat_utc(self.at)}


@dataclass(frozen=True, slots=True)
class CorrectionRecord:
    """A behaviour of a turn as the trainer left it."""

    review_id: int
    turn: int
    behaviour: str
    machine_value: int
    machine_confidence: float
    value: int
    who: str
    at: datetime

    def to_json(self) -> dict[str, Any]:
        """Return the record as JSON."""
        return {"turn": self.turn, "behaviour": self.behaviour,
                "machine_value": self.machine_value,
                "machine_confidence": self.machine_confidence, "value": self.value,
                "confirmed": self.value == self.machine_value, "who": self.who,
                "at": isoformat_utc(self.at)}


@dataclass(frozen=True, slots=True)
class NoteRecord:
    """A coaching note."""

    id: int
    review_id: int | None
    agent_id: str | None
    text: str
    author: str
    at: datetime

    def to_json(self) -> dict[str, Any]:
        """Return the note as JSON."""
        return {"id": self.id, "review_id": self.review_id, "agent_id": self.agent_id,
                "text": self.text, "author": self.author, "at": isoformat_utc(self.at)}


@dataclass(frozen=True, slots=True)
class ReviewDetail:
    """Everything the conversation page shows: the queue row, transcript, scorecard, edits."""

    item: QueueItem
    transcript: dict[str, Any]
    scorecard: dict[str, Any]
    verdicts: dict[str, VerdictRecord]
    corrections: dict[tuple[int, str], CorrectionRecord]
    notes: list[NoteRecord]

    def to_json(self) -> dict[str, Any]:
        """Return the review as JSON (the API's conversation object)."""
        return {**self.item.to_json(), "transcript": self.transcript,
                "scorecard": self.scorecard,
                "verdicts": [v.to_json() for v in self.verdicts.values()],
                "corrections": [c.to_json() for c in self.corrections.values()],
                "notes": [n.to_json() for n in self.notes]}


# -- transcripts and scorecards as JSON -------------------------------------------------------


def transcript_to_json(transcript: Transcript) -> dict[str, Any]:
    """Return the transcript as the JSON reader's object (the shape batch jobs store too).

    Example:
        >>> t = Transcript("c-1", (Turn(Role.AGENT, "Hello"),), metadata={"agent": "Priya"})
        >>> transcript_from_json(transcript_to_json(t)) == t
        True
    """
    return {
        "id": transcript.id, "channel": transcript.channel.value,
        "language": transcript.language,
        "metadata": {str(k): v if isinstance(v, str | int | float | bool | None) else str(v)
                     for k, v in transcript.metadata.items()},
        "turns": [{"speaker": t.role.value, "text": t.text, "start": t.start, "end": t.end,
                   "name": t.speaker} for t in transcript.turns],
    }


def transcript_from_json(data: Mapping[str, Any]) -> Transcript:
    """Rebuild a transcript from :func:`transcript_to_json`'s object."""
    turns = tuple(Turn(Role(t["speaker"]), t["text"], t.get("start"), t.get("end"),
                       t.get("name")) for t in data["turns"])
    return Transcript(str(data["id"]), turns, Channel(data.get("channel", "voice")),
                      str(data.get("language", "en")), dict(data.get("metadata") or {}))


def machine_decision(scorecard: Mapping[str, Any], turn: int, behaviour: str
                     ) -> tuple[int, float]:
    """Return the machine's decision (0/1) and confidence for a behaviour of a turn.

    The decision is the scorecard's ``present`` list (the model's own threshold); a
    scorecard written without it falls back to confidence >= 0.5.

    Example:
        >>> card = {"turns": [{"turn": 0, "behaviours": {"empathy": 0.7}, "present": []}]}
        >>> machine_decision(card, 0, "empathy")
        (0, 0.7)
    """
    row = scorecard["turns"][turn]
    confidence = float(row.get("behaviours", {}).get(behaviour, 0.0))
    if "present" in row:
        return int(behaviour in row["present"]), confidence
    return int(confidence >= 0.5), confidence


def _metadata_text(metadata: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = metadata.get(key)
        if value not in (None, ""):
            return str(value)[:200]
    return None


def _metadata_date(metadata: Mapping[str, Any]) -> dt.date | None:
    value = metadata.get("date")
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


# -- the store --------------------------------------------------------------------------------


class ReviewStore(Store):
    """Read and write reviews and users; each method is one short transaction."""

    # -- users ---------------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str, *,
                 agent_id: str | None = None) -> None:
        """Create a user (see :func:`agentassist.auth.add_user`)."""
        with self.sessions.begin() as session:
            auth.add_user(session, name, role, password, agent_id=agent_id)

    def set_password(self, name: str, password: str) -> None:
        """Change a user's password and sign them out everywhere."""
        with self.sessions.begin() as session:
            auth.set_password(session, name, password)

    def issue_token(self, name: str, *, kind: str = "api") -> str:
        """Return a new token for the user ``name`` (only its hash is stored)."""
        with self.sessions.begin() as session:
            return auth.issue_token(session, auth.require_user(session, name), kind=kind)

    def revoke_tokens(self, name: str) -> int:
        """Revoke every API token of ``name``; return how many."""
        with self.sessions.begin() as session:
            return auth.revoke_api_tokens(session, name)

    def sign_in(self, name: str, password: str) -> tuple[auth.User, str] | None:
        """Check a name and password; return the user and a new session token, or None."""
        with self.sessions.begin() as session:
            user = auth.sign_in(session, name, password)
            if user is None:
                return None
            return user, auth.issue_token(session, user, kind="session")

    def user_for_token(self, token: str, *, kind: str = "api") -> auth.User | None:
        """Return the user of a valid token, or None."""
        with self.sessions() as session:
            return auth.user_for_token(session, token, kind=kind)

    def sign_out(self, token: str) -> None:
        """End a sign-in session."""
        with self.sessions.begin() as session:
            auth.revoke_token(session, token)

    def users(self) -> list[auth.User]:
        """Return every user, by name."""
        with self.sessions() as session:
            return list(session.scalars(select(auth.User).order_by(auth.User.name)))

    # -- import ----------------------------------------------------------------------------------

    def import_scorecards(
        self, pairs: Iterable[tuple[Transcript | Mapping[str, Any], Scorecard | Mapping[str, Any]]],
        *, source: str = "", include_unflagged: bool = False,
    ) -> ImportResult:
        """Queue (transcript, scorecard) pairs for review; see :func:`import_scorecards`."""
        added: list[int] = []
        already = unflagged = 0
        for transcript, scorecard in pairs:
            t_json = transcript_to_json(transcript) if isinstance(transcript, Transcript) \
                else dict(transcript)
            s_json = scorecard.to_json() if isinstance(scorecard, Scorecard) else dict(scorecard)
            _check_pair(t_json, s_json)
            if not s_json.get("flags") and not include_unflagged:
                unflagged += 1
                continue
            with self.sessions.begin() as session:
                if session.scalar(select(Review.id).where(
                        Review.transcript_id == str(t_json["id"]))) is not None:
                    already += 1
                    continue
                review = _new_review(t_json, s_json, source)
                session.add(review)
                session.flush()
                session.add_all(ReviewFlag(review_id=review.id, flag_id=str(f["id"]),
                                           turn=f.get("turn"), severity=int(f.get("severity", 1)))
                                for f in s_json.get("flags", ()))
                added.append(review.id)
        logger.info("review import from %r: %d added, %d already queued, %d unflagged skipped",
                    source, len(added), already, unflagged)
        return ImportResult(added, already, unflagged)

    # -- reading ---------------------------------------------------------------------------------

    def queue(self, query: QueueFilter | None = None) -> list[QueueItem]:
        """Return the queued conversations matching ``query``, most urgent first."""
        query = query or QueueFilter()
        statement = select(Review)
        if query.agent:
            statement = statement.where(Review.agent_id == query.agent)
        if query.team:
            statement = statement.where(Review.team == query.team)
        if query.status:
            statement = statement.where(Review.status == query.status)
        if query.date_from:
            statement = statement.where(Review.date >= query.date_from)
        if query.date_to:
            statement = statement.where(Review.date <= query.date_to)
        if query.flag:
            statement = statement.where(exists().where(ReviewFlag.review_id == Review.id,
                                                       ReviewFlag.flag_id == query.flag))
        # Mirrors agentassist.scoring.review_key, so the queue and the helper agree.
        if query.order == "uncertainty":
            statement = statement.order_by(Review.uncertainty.desc(), Review.severity.desc(),
                                           Review.flag_count.desc(), Review.overall, Review.id)
        else:
            statement = statement.order_by(Review.severity.desc(), Review.flag_count.desc(),
                                           Review.uncertainty.desc(), Review.overall, Review.id)
        statement = statement.offset(query.offset).limit(query.limit)
        with self.sessions() as session:
            rows = list(session.scalars(statement))
            flags = self._flags(session, [r.id for r in rows])
            return [_item(r, flags.get(r.id, ())) for r in rows]

    def facets(self) -> dict[str, list[str]]:
        """Return the agents, teams and flags present in the queue (for filter menus)."""
        with self.sessions() as session:
            def values(column: Any) -> list[str]:
                return sorted(v for v in session.scalars(select(column).distinct()) if v)
            return {"agents": values(Review.agent_id), "teams": values(Review.team),
                    "flags": values(ReviewFlag.flag_id)}

    def review(self, review_id: int) -> ReviewDetail:
        """Return one reviewed conversation with its overrides, corrections and notes."""
        with self.sessions() as session:
            row = session.get(Review, review_id)
            if row is None:
                raise ReviewNotFoundError(f"no reviewed conversation with id {review_id}")
            flags = self._flags(session, [row.id]).get(row.id, ())
            verdicts = {v.criterion: v for v in self._verdicts(session, [row.id])}
            corrections = {(c.turn, c.behaviour): c
                           for c in self._corrections(session, [row.id])}
            notes = [_note(n) for n in session.scalars(
                select(CoachingNote).where(CoachingNote.review_id == row.id)
                .order_by(CoachingNote.at, CoachingNote.id))]
            return ReviewDetail(_item(row, flags), json.loads(row.transcript_json),
                                json.loads(row.scorecard_json), verdicts, corrections, notes)

    def notes(self, *, agent_id: str | None = None) -> list[NoteRecord]:
        """Return coaching notes, newest first (only ``agent_id``'s when given)."""
        statement = select(CoachingNote).order_by(CoachingNote.at.desc(), CoachingNote.id.desc())
        if agent_id is not None:
            statement = statement.where(CoachingNote.agent_id == agent_id)
        with self.sessions() as session:
            return [_note(n) for n in session.scalars(statement)]

    # -- writing ---------------------------------------------------------------------------------

    def set_verdict(self, review_id: int, criterion: str, action: str,
                    status: str | None = None, *, who: str) -> VerdictRecord:
        """Confirm a criterion's verdict, or overrule it with the trainer's ``status``."""
        if action not in ACTIONS:
            raise InputError(f"action must be confirm or overrule, got {action!r}")
        with self.sessions.begin() as session:
            row = _get(session, review_id)
            result = next((c for c in json.loads(row.scorecard_json)["criteria"]
                           if c["id"] == criterion), None)
            if result is None:
                raise InputError(f"review {review_id}: no criterion {criterion!r} in its "
                                 "scorecard")
            machine = str(result["status"])
            if action == "confirm":
                status = machine
            elif status not in VERDICT_STATUSES:
                raise InputError(f"review {review_id}, {criterion}: overrule needs the "
                                 f"corrected status (met, missed or n/a), got {status!r}")
            elif status == machine:
                raise InputError(f"review {review_id}, {criterion}: the machine already says "
                                 f"{machine!r}; confirm it instead of overruling")
            assert status is not None
            record = VerdictOverride(review_id=review_id, criterion=criterion,
                                     machine_status=machine, action=action, status=status,
                                     who=who, at=utcnow())
            session.add(record)
            return _verdict(record)

    def correct_behaviour(self, review_id: int, turn: int, behaviour: str, value: int, *,
                          who: str) -> CorrectionRecord:
        """Record the trainer's 0/1 decision on a behaviour of a turn."""
        if value not in (0, 1) or isinstance(value, bool):
            raise InputError(f"a behaviour's value must be 0 or 1, got {value!r}")
        with self.sessions.begin() as session:
            row = _get(session, review_id)
            scorecard = json.loads(row.scorecard_json)
            turns = scorecard.get("turns", [])
            if not 0 <= turn < len(turns):
                raise InputError(f"review {review_id}: turn {turn} is out of range; the "
                                 f"conversation has turns 0-{len(turns) - 1}")
            judged = turns[turn].get("behaviours", {})
            if behaviour not in judged:
                listed = ", ".join(judged) or "none (a system turn)"
                raise InputError(f"review {review_id}, turn {turn}: behaviour {behaviour!r} is "
                                 f"not judged for this turn; expected one of {listed}")
            machine, confidence = machine_decision(scorecard, turn, behaviour)
            record = TurnCorrection(review_id=review_id, turn=turn, behaviour=behaviour,
                                    machine_value=machine, machine_confidence=confidence,
                                    value=int(value), who=who, at=utcnow())
            session.add(record)
            return _correction(record)

    def add_note(self, review_id: int, text: str, *, who: str) -> NoteRecord:
        """Add a coaching note for the agent of a reviewed conversation."""
        text = text.strip()
        if not text or len(text) > MAX_NOTE_CHARS:
            raise InputError(f"a coaching note needs 1-{MAX_NOTE_CHARS} characters, got "
                             f"{len(text)}")
        with self.sessions.begin() as session:
            row = _get(session, review_id)
            note = CoachingNote(review_id=review_id, agent_id=row.agent_id, text=text,
                                author=who, at=utcnow())
            session.add(note)
            session.flush()
            return _note(note)

    def set_status(self, review_id: int, status: str, *, who: str) -> QueueItem:
        """Mark a review done (recording who and when) or open it again."""
        if status not in REVIEW_STATUSES:
            raise InputError(f"status must be open or done, got {status!r}")
        with self.sessions.begin() as session:
            row = _get(session, review_id)
            row.status = status
            if status == "done":
                row.reviewed_by, row.reviewed_at = who, utcnow()
            flags = self._flags(session, [row.id]).get(row.id, ())
            return _item(row, flags)

    # -- the learning loop -------------------------------------------------------------------

    def verdicts(self, *, source: str | None = None) -> list[VerdictRecord]:
        """Return the current (latest) verdict per reviewed criterion."""
        with self.sessions() as session:
            return self._verdicts(session, self._ids(session, source))

    def corrections(self, *, source: str | None = None) -> list[CorrectionRecord]:
        """Return the current (latest) decision per corrected turn behaviour."""
        with self.sessions() as session:
            return self._corrections(session, self._ids(session, source))

    def transcripts(self, review_ids: Iterable[int]) -> dict[int, Transcript]:
        """Return the transcripts of the given reviews."""
        wanted = sorted(set(review_ids))
        with self.sessions() as session:
            rows = session.execute(select(Review.id, Review.transcript_json)
                                   .where(Review.id.in_(wanted)))
            return {rid: transcript_from_json(json.loads(raw)) for rid, raw in rows}

    def feedback_records(self, *, context_turns: int = CONTEXT_TURNS,
                         source: str | None = None) -> Iterator[dict[str, Any]]:
        """Yield the trainers' turn-level decisions as DESIGN.md labelled-turn records.

        One record per corrected turn: ``labels`` holds the trainers' values of the
        behaviours they decided (confirmations included: a confirmed 0 is a label too);
        ``review_id``, ``transcript_id``, ``turn``, ``corrected_by``, ``corrected_at`` and
        ``machine`` (the machine's decisions then) ride along.
        """
        corrections = self.corrections(source=source)
        by_turn: dict[tuple[int, int], list[CorrectionRecord]] = {}
        for record in corrections:
            by_turn.setdefault((record.review_id, record.turn), []).append(record)
        transcripts = self.transcripts(r for r, _ in by_turn)
        for (review_id, turn), records in sorted(by_turn.items()):
            transcript = transcripts[review_id]
            spoken = transcript.turns[turn]
            history = transcript.turns[max(0, turn - context_turns):turn]
            records.sort(key=lambda r: r.behaviour)
            yield {
                "id": f"review-{review_id}:{turn}",
                "speaker": spoken.role.value,
                "text": spoken.text,
                "context": [{"speaker": t.role.value, "text": t.text} for t in history],
                "labels": {r.behaviour: r.value for r in records},
                "review_id": review_id,
                "transcript_id": transcript.id,
                "turn": turn,
                "corrected_by": sorted({r.who for r in records}),
                "corrected_at": max(r.at for r in records).isoformat(),
                "machine": {r.behaviour: r.machine_value for r in records},
            }

    # -- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _ids(session: Session, source: str | None) -> list[int] | None:
        if source is None:
            return None
        return list(session.scalars(select(Review.id).where(Review.source == source)))

    @staticmethod
    def _flags(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        out: dict[int, list[str]] = {}
        rows = session.execute(select(ReviewFlag.review_id, ReviewFlag.flag_id)
                               .where(ReviewFlag.review_id.in_(list(ids)))
                               .order_by(ReviewFlag.severity.desc(), ReviewFlag.id))
        for rid, flag in rows:
            if flag not in out.setdefault(rid, []):
                out[rid].append(flag)
        return {k: tuple(v) for k, v in out.items()}

    @staticmethod
    def _verdicts(session: Session, ids: Sequence[int] | None) -> list[VerdictRecord]:
        statement = select(VerdictOverride).order_by(VerdictOverride.id)
        if ids is not None:
            statement = statement.where(VerdictOverride.review_id.in_(list(ids)))
        latest = {(v.review_id, v.criterion): v for v in session.scalars(statement)}
        return [_verdict(v) for v in latest.values()]

    @staticmethod
    def _corrections(session: Session, ids: Sequence[int] | None) -> list[CorrectionRecord]:
        statement = select(TurnCorrection).order_by(TurnCorrection.id)
        if ids is not None:
            statement = statement.where(TurnCorrection.review_id.in_(list(ids)))
        latest = {(c.review_id, c.turn, c.behaviour): c for c in session.scalars(statement)}
        return [_correction(c) for c in latest.values()]

    def count(self) -> int:
        """Return how many conversations are in the review tables."""
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(Review)) or 0


def import_scorecards(
    store: ReviewStore | sessionmaker[Session],
    pairs: Iterable[tuple[Transcript | Mapping[str, Any], Scorecard | Mapping[str, Any]]],
    *, source: str = "", include_unflagged: bool = False,
) -> ImportResult:
    """Put (transcript, scorecard) pairs into the review queue.

    Each side may be the object or its JSON (``Scorecard.to_json()``, and the JSON
    reader's transcript object). Only flagged conversations are queued unless
    ``include_unflagged``; a transcript id already queued is skipped, so importing twice
    adds nothing. Agent, team and date come from the transcript's metadata (``agent`` or
    ``agent_id``, ``team``, ``date``).
    """
    if not isinstance(store, ReviewStore):
        store = ReviewStore(store)
    return store.import_scorecards(pairs, source=source, include_unflagged=include_unflagged)


def import_batch_job(store: ReviewStore, job: int | str, *,
                     include_unflagged: bool = False) -> ImportResult:
    """Queue the results of a stored batch job (``agentassist batch``) for review."""
    from agentassist.jobs import JobStore

    jobs = JobStore(store.sessions)
    info = jobs.job(job)
    pairs = ((r.transcript, r.scorecard)
             for r in jobs.iter_results(info.id, with_transcripts=True) if r.transcript)
    return store.import_scorecards(pairs, source=f"batch:{info.name}",
                                   include_unflagged=include_unflagged)


def can_view(user: auth.User, item: QueueItem) -> bool:
    """Tell whether ``user`` may see a reviewed conversation (agents: only their own)."""
    if user.role != UserRole.AGENT:
        return True
    return item.agent_id is not None and item.agent_id == (user.agent_id or user.name)


def _check_pair(transcript: Mapping[str, Any], scorecard: Mapping[str, Any]) -> None:
    tid = transcript.get("id")
    if not isinstance(transcript.get("turns"), list) or tid is None:
        raise InputError(f"transcript {tid!r}: expected an object with 'id' and 'turns'")
    if scorecard.get("transcript_id") != tid:
        raise InputError(f"transcript {tid!r}: its scorecard is for "
                         f"{scorecard.get('transcript_id')!r}; expected the same id")
    if not isinstance(scorecard.get("criteria"), list):
        raise InputError(f"transcript {tid!r}: the scorecard has no 'criteria' list")
    scored = len(scorecard.get("turns") or [])
    if scored != len(transcript["turns"]):
        raise InputError(f"transcript {tid!r}: the scorecard has {scored} turns, the transcript "
                         f"{len(transcript['turns'])}; expected the same")


def _new_review(transcript: Mapping[str, Any], scorecard: Mapping[str, Any],
                source: str) -> Review:
    metadata = transcript.get("metadata") or {}
    return Review(
        transcript_id=str(transcript["id"]), source=source[:1000],
        agent_id=_metadata_text(metadata, "agent_id", "agent"),
        team=_metadata_text(metadata, "team"), date=_metadata_date(metadata),
        channel=str(scorecard.get("channel") or transcript.get("channel") or "voice"),
        overall=float(scorecard.get("overall") or 0.0), severity=flag_severity(scorecard),
        flag_count=len(scorecard.get("flags", ())), uncertainty=verdict_uncertainty(scorecard),
        transcript_json=json.dumps(transcript, ensure_ascii=False),
        scorecard_json=json.dumps(scorecard, ensure_ascii=False), status="open",
        imported_at=utcnow(),
    )


def _get(session: Session, review_id: int) -> Review:
    row = session.get(Review, review_id)
    if row is None:
        raise ReviewNotFoundError(f"no reviewed conversation with id {review_id}")
    return row


def _item(row: Review, flags: Sequence[str]) -> QueueItem:
    return QueueItem(row.id, row.transcript_id, row.agent_id, row.team, row.date, row.channel,
                     row.overall, row.severity, row.uncertainty, tuple(flags), row.status,
                     row.reviewed_by, row.reviewed_at, row.source)


def _verdict(row: VerdictOverride) -> VerdictRecord:
    return VerdictRecord(row.review_id, row.criterion, row.machine_status, row.action,
                         row.status, row.who, row.at)


def _correction(row: TurnCorrection) -> CorrectionRecord:
    return CorrectionRecord(row.review_id, row.turn, row.behaviour, row.machine_value,
                            row.machine_confidence, row.value, row.who, row.at)


def _note(row: CoachingNote) -> NoteRecord:
    return NoteRecord(row.id, row.review_id, row.agent_id, row.text, row.author, row.at)


__all__ = [
    "ImportResult",
    "QueueFilter",
    "QueueItem",
    "ReviewDetail",
    "ReviewNotFoundError",
    "ReviewStore",
    "can_view",
    "import_batch_job",
    "import_scorecards",
    "machine_decision",
    "transcript_from_json",
    "transcript_to_json",
]
