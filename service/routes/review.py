"""Trainer review: the JSON API under /v1/review and the HTML pages under /review.

Trainers and QA leads see the queue of flagged conversations, open one, confirm or
overrule each verdict and turn behaviour, write coaching notes and mark it done. Agents
see only their own reviewed conversations and notes. The API takes a bearer token
(``agentassist user token NAME``); the pages a session cookie from the sign-in form,
and every write made with the cookie must carry the page's form token.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from starlette.requests import HTTPConnection

from agentassist.auth import EDITOR_ROLES, User, UserRole, csrf_token
from agentassist.behaviours import DERIVED_QUESTION
from agentassist.reviews import (
    QueueFilter,
    ReviewDetail,
    ReviewNotFoundError,
    ReviewStore,
    can_view,
    machine_decision,
)
from agentassist.rubric import Rubric, load_rubric

logger = logging.getLogger(__name__)

SESSION_COOKIE = "agentassist_review"
CSRF_HEADER = "X-CSRF-Token"
TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
_OPEN_LOCK = threading.Lock()


@asynccontextmanager
async def review_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the review database when the service starts; close it when it stops."""
    store = open_store(app)
    try:
        yield
    finally:
        store.close()
        app.state.review_store = None


router = APIRouter(tags=["review"], lifespan=review_lifespan)


def _database_url(app: Any) -> str:
    state = getattr(app.state, "agentassist", None)
    settings = getattr(state, "settings", None)
    if settings is None:
        from service.settings import get_settings

        settings = get_settings()
    return str(settings.database_url)


def open_store(app: Any) -> ReviewStore:
    """Return the app's review store, opening it from the settings' ``database_url``."""
    with _OPEN_LOCK:
        store = getattr(app.state, "review_store", None)
        if store is None:
            store = ReviewStore.from_url(_database_url(app))
            app.state.review_store = store
        return store


def get_store(conn: HTTPConnection) -> ReviewStore:
    """Return the review store the service opened."""
    store = getattr(conn.app.state, "review_store", None)
    return store if isinstance(store, ReviewStore) else open_store(conn.app)


StoreDep = Annotated[ReviewStore, Depends(get_store)]


@lru_cache(maxsize=1)
def _rubric() -> Rubric:
    return load_rubric()


# -- who is asking ----------------------------------------------------------------------------


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def signed_in(request: Request, store: StoreDep) -> User | None:
    """Return the user behind the bearer token or the session cookie, or None."""
    token = _bearer(request)
    if token is not None:
        return store.user_for_token(token, kind="api")
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        user = store.user_for_token(cookie, kind="session")
        if user is not None:
            request.state.session_token = cookie
        return user
    return None


MaybeUser = Annotated[User | None, Depends(signed_in)]


def require_viewer(user: MaybeUser) -> User:
    """Return the signed-in user, or refuse with 401."""
    if user is None:
        raise HTTPException(401, "sign in: send 'Authorization: Bearer <token>' (agentassist "
                            "user token NAME) or use the sign-in page",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


Viewer = Annotated[User, Depends(require_viewer)]


def require_editor(request: Request, user: Viewer) -> User:
    """Return the signed-in trainer or QA lead, or refuse with 403."""
    if user.role not in EDITOR_ROLES:
        raise HTTPException(403, f"only trainers and QA leads can change reviews; "
                            f"{user.name!r} is {user.role!r}")
    session_token = getattr(request.state, "session_token", None)
    if session_token is not None and request.headers.get(CSRF_HEADER) != csrf_token(session_token):
        raise HTTPException(403, f"a change made with the sign-in cookie needs the page's "
                            f"{CSRF_HEADER} header")
    return user


Editor = Annotated[User, Depends(require_editor)]


def _detail(store: ReviewStore, review_id: int, user: User) -> ReviewDetail:
    try:
        detail = store.review(review_id)
    except ReviewNotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    if not can_view(user, detail.item):
        raise HTTPException(403, f"review {review_id} is not one of {user.name!r}'s "
                            "conversations")
    return detail


def _queue_filter(user: User, **values: Any) -> QueueFilter:
    if user.role == UserRole.AGENT:
        values["agent"] = user.agent_id or user.name
    return QueueFilter(**values)


# -- JSON API ---------------------------------------------------------------------------------


class VerdictIn(BaseModel):
    """Confirm or overrule a criterion's verdict."""

    criterion: str
    action: Literal["confirm", "overrule"]
    status: Literal["met", "missed", "n/a"] | None = None


class CorrectionIn(BaseModel):
    """The trainer's decision on one behaviour of one turn."""

    turn: int = Field(ge=0)
    behaviour: str
    value: Literal[0, 1]


class NoteIn(BaseModel):
    """A coaching note for the conversation's agent."""

    text: str = Field(min_length=1, max_length=5000)


class StatusIn(BaseModel):
    """Open a review again or mark it done."""

    status: Literal["open", "done"]


class ImportItem(BaseModel):
    """A transcript (the JSON reader's object) and its scorecard JSON."""

    transcript: dict[str, Any]
    scorecard: dict[str, Any]


class ImportIn(BaseModel):
    """Scored conversations to put into the review queue."""

    items: list[ImportItem] = Field(max_length=1000)
    source: str = "api"
    include_unflagged: bool = False


def _me(user: User) -> dict[str, Any]:
    return {"name": user.name, "role": user.role, "agent_id": user.agent_id,
            "can_edit": user.can_edit}


@router.get("/v1/review/me")
def api_me(user: Viewer) -> dict[str, Any]:
    """Return who the token belongs to."""
    return _me(user)


@router.get("/v1/review/queue")
def api_queue(
    user: Viewer, store: StoreDep,
    agent: str | None = None, team: str | None = None, flag: str | None = None,
    date_from: date | None = None, date_to: date | None = None,
    status: Literal["open", "done", "all"] = "open",
    order: Literal["severity", "uncertainty"] = "severity",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """List reviewable conversations (agents: only their own), most urgent first."""
    query = _queue_filter(user, agent=agent, team=team, flag=flag, date_from=date_from,
                          date_to=date_to, status=None if status == "all" else status,
                          order=order, limit=limit, offset=offset)
    return {"items": [item.to_json() for item in store.queue(query)]}


@router.get("/v1/review/conversations/{review_id}")
def api_conversation(review_id: int, user: Viewer, store: StoreDep) -> dict[str, Any]:
    """Return a reviewed conversation: transcript, scorecard, overrides, corrections, notes."""
    return _detail(store, review_id, user).to_json()


@router.post("/v1/review/conversations/{review_id}/verdicts", status_code=201)
def api_verdict(review_id: int, body: VerdictIn, user: Editor,
                store: StoreDep) -> dict[str, Any]:
    """Confirm or overrule one criterion's verdict."""
    _detail(store, review_id, user)
    return store.set_verdict(review_id, body.criterion, body.action, body.status,
                             who=user.name).to_json()


@router.post("/v1/review/conversations/{review_id}/corrections", status_code=201)
def api_correction(review_id: int, body: CorrectionIn, user: Editor,
                   store: StoreDep) -> dict[str, Any]:
    """Confirm or correct one behaviour of one turn."""
    _detail(store, review_id, user)
    return store.correct_behaviour(review_id, body.turn, body.behaviour, body.value,
                                   who=user.name).to_json()


@router.post("/v1/review/conversations/{review_id}/notes", status_code=201)
def api_note(review_id: int, body: NoteIn, user: Editor, store: StoreDep) -> dict[str, Any]:
    """Add a coaching note for the conversation's agent."""
    _detail(store, review_id, user)
    return store.add_note(review_id, body.text, who=user.name).to_json()


@router.post("/v1/review/conversations/{review_id}/status")
def api_status(review_id: int, body: StatusIn, user: Editor, store: StoreDep) -> dict[str, Any]:
    """Mark the review done, or open it again."""
    _detail(store, review_id, user)
    return store.set_status(review_id, body.status, who=user.name).to_json()


@router.get("/v1/review/notes")
def api_notes(user: Viewer, store: StoreDep, agent: str | None = None) -> dict[str, Any]:
    """Return coaching notes, newest first (agents: only their own)."""
    if user.role == UserRole.AGENT:
        agent = user.agent_id or user.name
    return {"notes": [note.to_json() for note in store.notes(agent_id=agent)]}


@router.post("/v1/review/import", status_code=201)
def api_import(body: ImportIn, user: Editor, store: StoreDep) -> dict[str, Any]:
    """Queue scored conversations for review (for example a batch job's results)."""
    result = store.import_scorecards(((i.transcript, i.scorecard) for i in body.items),
                                     source=body.source,
                                     include_unflagged=body.include_unflagged)
    return result.to_json()


@router.get("/v1/review/agreement")
def api_agreement(user: Editor, store: StoreDep, source: str | None = None) -> dict[str, Any]:
    """Return the agreement report: the machine against the trainers' decisions."""
    from evaluation.agreement import agreement_report

    return agreement_report(store, source=source).to_json()


# -- HTML pages -------------------------------------------------------------------------------


def _page(request: Request, name: str, context: dict[str, Any], *,
          status_code: int = 200) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, f"review/{name}", context,
                                      status_code=status_code)


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/review/login?{urlencode({'next': target})}", status_code=303)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/review") and not target.startswith("//"):
        return target
    return "/review"


def _page_user(request: Request, user: User | None) -> User | None:
    """Return the cookie-signed-in user of a page (bearer tokens don't open pages)."""
    return user if getattr(request.state, "session_token", None) else None


def _check_form(request: Request, user: User | None, token: str) -> User:
    if user is None or getattr(request.state, "session_token", None) is None:
        raise HTTPException(401, "sign in first")
    if token != csrf_token(request.state.session_token):
        raise HTTPException(403, "the form has expired; reload the page and try again")
    if user.role not in EDITOR_ROLES:
        raise HTTPException(403, "only trainers and QA leads can change reviews")
    return user


@router.get("/review/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, next: str | None = None) -> HTMLResponse:  # noqa: A002
    """Show the sign-in form."""
    return _page(request, "login.html", {"next": _safe_next(next), "error": None, "user": None})


@router.post("/review/login", include_in_schema=False)
def login(request: Request, store: StoreDep, name: Annotated[str, Form()],
          password: Annotated[str, Form()], next: Annotated[str, Form()] = "/review",  # noqa: A002
          ) -> Response:
    """Check the name and password; set the session cookie."""
    signed = store.sign_in(name.strip(), password)
    if signed is None:
        logger.info("review sign-in refused for a user name of %d characters", len(name))
        return _page(request, "login.html", {"next": _safe_next(next), "user": None,
                                             "error": "Wrong name or password."},
                     status_code=401)
    user, token = signed
    logger.info("review sign-in: %s (%s)", user.name, user.role)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", path="/",
                        secure=request.url.scheme == "https", max_age=12 * 3600)
    return response


@router.post("/review/logout", include_in_schema=False)
def logout(request: Request, store: StoreDep) -> Response:
    """End the session."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        store.sign_out(cookie)
    response = RedirectResponse("/review/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@router.get("/review", response_class=HTMLResponse, include_in_schema=False)
def queue_page(request: Request, store: StoreDep, user: MaybeUser,
               agent: str | None = None, team: str | None = None, flag: str | None = None,
               date_from: str | None = None, date_to: str | None = None,
               status: str = "open", order: str = "severity") -> Response:
    """Show the queue of flagged conversations with filters."""
    viewer = _page_user(request, user)
    if viewer is None:
        return _login_redirect(request)
    status = status if status in ("open", "done", "all") else "open"
    order = order if order in ("severity", "uncertainty") else "severity"
    query = _queue_filter(viewer, agent=agent or None, team=team or None, flag=flag or None,
                          date_from=_parse_day(date_from), date_to=_parse_day(date_to),
                          status=None if status == "all" else status, order=order, limit=500)
    items = store.queue(query)
    rubric = _rubric()
    chosen = {"agent": agent or "", "team": team or "", "flag": flag or "",
              "date_from": date_from or "", "date_to": date_to or "", "status": status,
              "order": order}
    return _page(request, "queue.html", {
        "user": viewer, "items": items, "facets": store.facets(), "chosen": chosen,
        "flag_titles": _flag_titles(rubric), "csrf": csrf_token(request.state.session_token),
    })


@router.get("/review/conversations/{review_id}", response_class=HTMLResponse,
            include_in_schema=False)
def conversation_page(review_id: int, request: Request, store: StoreDep,
                      user: MaybeUser) -> Response:
    """Show one conversation: transcript with highlighted evidence, verdicts, behaviours."""
    viewer = _page_user(request, user)
    if viewer is None:
        return _login_redirect(request)
    detail = _detail(store, review_id, viewer)
    rubric = _rubric()
    return _page(request, "conversation.html", {
        "user": viewer, "review": detail, "item": detail.item,
        "turns": conversation_view(detail),
        "criteria": criteria_view(detail, rubric),
        "flags": [{"id": f["id"], "title": _flag_titles(rubric).get(f["id"], f["id"]),
                   "turn": f.get("turn"), "reason": f.get("reason", ""),
                   "severity": f.get("severity", 1)} for f in detail.scorecard.get("flags", ())],
        "csrf": csrf_token(request.state.session_token),
    })


@router.post("/review/conversations/{review_id}/verdicts", include_in_schema=False)
def verdict_form(review_id: int, request: Request, store: StoreDep, user: MaybeUser,
                 criterion: Annotated[str, Form()], action: Annotated[str, Form()],
                 csrf: Annotated[str, Form()], status: Annotated[str | None, Form()] = None,
                 ) -> Response:
    """Confirm or overrule a verdict from the conversation page."""
    editor = _check_form(request, user, csrf)
    _detail(store, review_id, editor)
    store.set_verdict(review_id, criterion, action, status or None, who=editor.name)
    return RedirectResponse(f"/review/conversations/{review_id}#criterion-{criterion}",
                            status_code=303)


@router.post("/review/conversations/{review_id}/corrections", include_in_schema=False)
def correction_form(review_id: int, request: Request, store: StoreDep, user: MaybeUser,
                    correction: Annotated[str, Form()], csrf: Annotated[str, Form()]) -> Response:
    """Confirm or correct a turn behaviour from the conversation page (``TURN:NAME:0|1``)."""
    editor = _check_form(request, user, csrf)
    turn, _, rest = correction.partition(":")
    behaviour, _, value = rest.rpartition(":")
    if not turn.isdigit() or value not in ("0", "1") or not behaviour:
        raise HTTPException(422, f"correction {correction!r}: expected TURN:BEHAVIOUR:0 or 1")
    _detail(store, review_id, editor)
    store.correct_behaviour(review_id, int(turn), behaviour, int(value), who=editor.name)
    return RedirectResponse(f"/review/conversations/{review_id}#turn-{turn}", status_code=303)


@router.post("/review/conversations/{review_id}/notes", include_in_schema=False)
def note_form(review_id: int, request: Request, store: StoreDep, user: MaybeUser,
              text: Annotated[str, Form()], csrf: Annotated[str, Form()]) -> Response:
    """Add a coaching note from the conversation page."""
    editor = _check_form(request, user, csrf)
    _detail(store, review_id, editor)
    store.add_note(review_id, text, who=editor.name)
    return RedirectResponse(f"/review/conversations/{review_id}#notes", status_code=303)


@router.post("/review/conversations/{review_id}/status", include_in_schema=False)
def status_form(review_id: int, request: Request, store: StoreDep, user: MaybeUser,
                status: Annotated[str, Form()], csrf: Annotated[str, Form()]) -> Response:
    """Mark the review done (back to the queue) or open it again."""
    editor = _check_form(request, user, csrf)
    _detail(store, review_id, editor)
    store.set_status(review_id, status, who=editor.name)
    target = "/review" if status == "done" else f"/review/conversations/{review_id}"
    return RedirectResponse(target, status_code=303)


@router.get("/review/notes", response_class=HTMLResponse, include_in_schema=False)
def notes_page(request: Request, store: StoreDep, user: MaybeUser,
               agent: str | None = None) -> Response:
    """Show coaching notes (agents: their own)."""
    viewer = _page_user(request, user)
    if viewer is None:
        return _login_redirect(request)
    if viewer.role == UserRole.AGENT:
        agent = viewer.agent_id or viewer.name
    return _page(request, "notes.html", {
        "user": viewer, "notes": store.notes(agent_id=agent or None), "agent": agent or "",
        "agents": store.facets()["agents"], "csrf": csrf_token(request.state.session_token),
    })


# -- what the conversation page shows -------------------------------------------------------------


def _flag_titles(rubric: Rubric) -> dict[str, str]:
    return {rule.id: rule.label for rule in rubric.flags}


def criteria_view(detail: ReviewDetail, rubric: Rubric) -> list[dict[str, Any]]:
    """Return each criterion's verdict, reason, evidence and the trainer's decision."""
    titles = {c.id: c.title for c in rubric.criteria}
    out = []
    for result in detail.scorecard.get("criteria", ()):
        decided = detail.verdicts.get(result["id"])
        out.append({
            "id": result["id"], "title": titles.get(result["id"], result["id"]),
            "status": result["status"], "score": result.get("score"),
            "reason": result.get("reason", ""), "margin": result.get("margin"),
            "evidence": result.get("evidence", ()),
            "others": [s for s in ("met", "missed", "n/a") if s != result["status"]],
            "decided": decided.to_json() if decided is not None else None,
        })
    return out


def conversation_view(detail: ReviewDetail) -> list[dict[str, Any]]:
    """Return each turn with its text cut into highlighted segments and its behaviours."""
    spans = evidence_spans(detail.transcript, detail.scorecard)
    rows = detail.scorecard.get("turns", [])
    out = []
    for index, turn in enumerate(detail.transcript.get("turns", ())):
        row = rows[index] if index < len(rows) else {}
        behaviours = []
        for name, confidence in (row.get("behaviours") or {}).items():
            if name == DERIVED_QUESTION:
                continue
            machine, _ = machine_decision(detail.scorecard, index, name)
            decided = detail.corrections.get((index, name))
            behaviours.append({
                "name": name, "confidence": confidence, "machine": machine,
                "decided": decided.to_json() if decided is not None else None,
                "shown": bool(machine or decided is not None or confidence >= 0.2),
            })
        out.append({"index": index, "speaker": turn["speaker"], "name": turn.get("name"),
                    "start": turn.get("start"),
                    "segments": segments(turn["text"], spans.get(index, [])),
                    "behaviours": behaviours})
    return out


def evidence_spans(transcript: Mapping[str, Any], scorecard: Mapping[str, Any]
                   ) -> dict[int, list[dict[str, Any]]]:
    """Return the evidence of every criterion, per turn, checked against the turn text.

    Example:
        >>> transcript = {"turns": [{"speaker": "agent", "text": "Hi. So sorry!"}]}
        >>> card = {"criteria": [{"id": "acknowledge_feelings", "status": "met", "evidence": [
        ...     {"turn": 0, "start": 4, "end": 13, "behaviour": "empathy", "quote": "So sorry!"}]}]}
        >>> [(s["start"], s["end"], s["criterion"]) for s in evidence_spans(transcript, card)[0]]
        [(4, 13, 'acknowledge_feelings')]
    """
    turns = transcript.get("turns", [])
    spans: dict[int, list[dict[str, Any]]] = {}
    for result in scorecard.get("criteria", ()):
        for ev in result.get("evidence", ()):
            index = ev.get("turn")
            if not isinstance(index, int) or not 0 <= index < len(turns):
                continue
            text = turns[index]["text"]
            start, end = ev.get("start"), ev.get("end")
            if not (isinstance(start, int) and isinstance(end, int)
                    and 0 <= start < end <= len(text)):
                continue
            if ev.get("quote") is not None and text[start:end] != ev["quote"]:
                continue  # offsets from another version of the text: don't mark the wrong words
            spans.setdefault(index, []).append({
                "start": start, "end": end, "criterion": result["id"],
                "behaviour": ev.get("behaviour", ""), "status": result.get("status", ""),
            })
    return spans


def segments(text: str, spans: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Cut ``text`` at every span edge; each piece lists the spans that cover it.

    Overlapping evidence of two criteria marks the shared words with both.

    Example:
        >>> cut = segments("abcdef", [{"start": 1, "end": 4, "criterion": "x"},
        ...                           {"start": 3, "end": 5, "criterion": "y"}])
        >>> [(s["text"], [m["criterion"] for m in s["marks"]]) for s in cut]
        [('a', []), ('bc', ['x']), ('d', ['x', 'y']), ('e', ['y']), ('f', [])]
    """
    edges = sorted({0, len(text), *(s["start"] for s in spans), *(s["end"] for s in spans)})
    out = []
    for a, b in zip(edges, edges[1:], strict=False):
        if a == b:
            continue
        marks = [s for s in spans if s["start"] <= a and b <= s["end"]]
        out.append({"text": text[a:b], "marks": marks,
                    "ends": [m for m in marks if m["end"] == b],
                    "criteria": " ".join(dict.fromkeys(m["criterion"] for m in marks)),
                    "label": "; ".join(f"{m['criterion']}: {m.get('behaviour', '')} "
                                       f"({m.get('status', '')})" for m in marks)})
    return out
