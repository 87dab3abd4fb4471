"""POST /v1/score: one transcript in, its scorecard out (DESIGN.md's scorecard JSON)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from agentassist.errors import InputError
from agentassist.scoring import score
from service.deps import StateDep
from service.schemas import TranscriptIn

router = APIRouter(tags=["scoring"])


@router.post("/v1/score")
async def score_transcript(body: TranscriptIn, state: StateDep) -> dict[str, Any]:
    """Score a transcript against the checklist; its turns join the shared batches."""
    limit = state.settings.max_text_chars
    if len(body.turns) > state.settings.max_turns:
        raise InputError(f"transcript {body.id!r}: {len(body.turns)} turns; the limit is "
                         f"{state.settings.max_turns}")
    for index, turn in enumerate(body.turns):
        if len(turn.text) > limit:
            raise InputError(f"transcript {body.id!r}, turn {index}: text is {len(turn.text)} "
                             f"characters; the limit is {limit}")
    transcript = body.to_transcript()
    turns = transcript.turns
    analyses = await state.batcher.analyse_many(
        f"score-{uuid.uuid4().hex[:12]}", transcript.id,
        [(index, turn, turns[:index]) for index, turn in enumerate(turns)],
    )
    return score(transcript, analyses, state.rubric).to_json()
