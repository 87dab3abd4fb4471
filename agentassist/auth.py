"""Users of the review pages: roles, password hashes, API tokens and sign-in sessions.

Trainers and QA leads review and correct; agents read their own reviews and notes.
Passwords are stored as salted scrypt hashes, API tokens and session tokens as SHA-256
hashes (they are long random strings, so a fast hash is enough). There is no default
user and no default password: users are created with ``agentassist user add``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    String,
    TypeDecorator,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, Session, mapped_column

from agentassist.errors import InputError
from agentassist.store import Base


class UserRole(StrEnum):
    """What a user may do: trainers and QA leads edit reviews, agents read their own."""

    TRAINER = "trainer"
    QA_LEAD = "qa_lead"
    AGENT = "agent"


EDITOR_ROLES: Final = frozenset({UserRole.TRAINER, UserRole.QA_LEAD})
MIN_PASSWORD_CHARS: Final = 8
SESSION_HOURS: Final = 12
TOKEN_PREFIX: Final = "aa_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
# scrypt cost: about 50 ms and 16 MB per check on the project's machines.
_SCRYPT: Final = {"n": 2**14, "r": 8, "p": 1}


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store the time in UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Read the time back as timezone-aware UTC."""
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class User(Base):
    """Someone who signs in to the review pages or calls the review API."""

    __tablename__ = "review_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    #: The agent id this user's conversations carry (agents only; default: the name).
    agent_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def can_edit(self) -> bool:
        """Tell whether the user may confirm, overrule, correct and write notes."""
        return self.role in EDITOR_ROLES


class Token(Base):
    """An API token (``kind="api"``) or a sign-in session (``kind="session"``), hashed."""

    __tablename__ = "review_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("review_users.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


# -- secrets --------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of ``password``: ``scrypt$n$r$p$salt$hash``.

    Example:
        >>> stored = hash_password("correct horse")
        >>> stored.startswith("scrypt$"), verify_password("correct horse", stored)
        (True, True)
        >>> verify_password("wrong horse", stored)
        False
    """
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    n, r, p = _SCRYPT["n"], _SCRYPT["r"], _SCRYPT["p"]
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Tell whether ``password`` matches a hash from :func:`hash_password` (constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                                r=int(r), p=int(p), dklen=len(expected))
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(actual, expected)


def new_token() -> str:
    """Return a fresh random token (shown once; only its hash is stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest stored for ``token``."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_token: str) -> str:
    """Return the form token that goes with a sign-in session (derived, never stored).

    A page embeds it; a write that comes with the session cookie must send it back, so
    another site can't make the browser post on the trainer's behalf.
    """
    return hashlib.sha256(b"agentassist-csrf:" + session_token.encode()).hexdigest()[:32]


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


_DUMMY_HASH: Final = hash_password(secrets.token_hex(8))


# -- users ----------------------------------------------------------------------------------


def check_role(role: str) -> UserRole:
    """Return ``role`` as a :class:`UserRole`, or raise naming the allowed roles."""
    try:
        return UserRole(role)
    except ValueError:
        allowed = ", ".join(r.value for r in UserRole)
        raise InputError(f"unknown role {role!r}; expected one of {allowed}") from None


def check_password(password: str) -> None:
    """Refuse a password that is too short to protect customer conversations."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputError(f"the password has {len(password)} characters; use at least "
                         f"{MIN_PASSWORD_CHARS}")


def add_user(session: Session, name: str, role: str, password: str, *,
             agent_id: str | None = None) -> User:
    """Create a user; the caller commits. Agents see conversations carrying ``agent_id``."""
    if not _NAME.match(name):
        raise InputError(f"user name {name!r}: use 1-100 letters, digits, '.', '_', '-' or '@', "
                         "starting with a letter or digit")
    checked = check_role(role)
    check_password(password)
    if find_user(session, name) is not None:
        raise InputError(f"a user named {name!r} already exists; use 'agentassist user password "
                         f"{name}' to change the password")
    if checked is UserRole.AGENT and agent_id is None:
        agent_id = name
    user = User(name=name, role=checked.value, agent_id=agent_id,
                password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, name: str) -> User | None:
    """Return the user called ``name``, or None."""
    return session.scalar(select(User).where(User.name == name))


def require_user(session: Session, name: str) -> User:
    """Return the user called ``name``, or raise listing the known users."""
    user = find_user(session, name)
    if user is None:
        known = sorted(session.scalars(select(User.name)))
        listed = ", ".join(known[:20]) or "none yet; add one with 'agentassist user add'"
        raise InputError(f"no user named {name!r}; known users: {listed}")
    return user


def set_password(session: Session, name: str, password: str) -> User:
    """Change a user's password and end their sign-in sessions; the caller commits."""
    check_password(password)
    user = require_user(session, name)
    user.password_hash = hash_password(password)
    for token in session.scalars(select(Token).where(Token.user_id == user.id,
                                                      Token.kind == "session")):
        session.delete(token)
    return user


def sign_in(session: Session, name: str, password: str) -> User | None:
    """Return the active user whose name and password match, or None.

    The time taken doesn't tell whether the name exists.
    """
    user = find_user(session, name)
    if user is None:
        verify_password(password, _DUMMY_HASH)
        return None
    if not verify_password(password, user.password_hash) or not user.active:
        return None
    return user


def issue_token(session: Session, user: User, *, kind: str = "api",
                lifetime: timedelta | None = None) -> str:
    """Store the hash of a new token for ``user`` and return the token; the caller commits."""
    if kind not in ("api", "session"):
        raise InputError(f"token kind must be 'api' or 'session', got {kind!r}")
    if kind == "session" and lifetime is None:
        lifetime = timedelta(hours=SESSION_HOURS)
    token = new_token()
    expires = utcnow() + lifetime if lifetime is not None else None
    session.add(Token(user_id=user.id, kind=kind, token_hash=hash_token(token),
                      expires_at=expires))
    session.flush()
    return token


def user_for_token(session: Session, token: str, *, kind: str = "api") -> User | None:
    """Return the active user a valid, unexpired token of ``kind`` belongs to, or None."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    row = session.scalar(select(Token).where(Token.token_hash == hash_token(token),
                                             Token.kind == kind))
    if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def revoke_token(session: Session, token: str) -> None:
    """Forget a token (sign out); unknown tokens are ignored. The caller commits."""
    row = session.scalar(select(Token).where(Token.token_hash == hash_token(token)))
    if row is not None:
        session.delete(row)


def revoke_api_tokens(session: Session, name: str) -> int:
    """Revoke every API token of the user ``name``; return how many. The caller commits."""
    user = require_user(session, name)
    rows = list(session.scalars(select(Token).where(Token.user_id == user.id,
                                                    Token.kind == "api")))
    for row in rows:
        session.delete(row)
    return len(rows)
