"""GET /v1/examples: the bundled example transcripts, for the panel's demo mode."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, HTTPException

from agentassist.errors import AgentAssistError
from agentassist.readers import read_transcripts
from agentassist.transcript import Transcript
from service.deps import SettingsDep
from service.schemas import ExampleFile, ExampleSummary, ExampleTranscripts, TranscriptIn

logger = logging.getLogger(__name__)
router = APIRouter(tags=["examples"])


def _example_files(folder: Path | None) -> dict[str, Path]:
    if folder is None or not folder.is_dir():
        return {}
    return {path.name: path for path in sorted(folder.iterdir())
            if path.is_file() and not path.name.startswith(".") and path.suffix != ".md"}


def _read(path: Path) -> list[Transcript]:
    try:
        return list(read_transcripts(path))
    except AgentAssistError as exc:
        logger.warning("example %s can't be read: %s", path.name, type(exc).__name__)
        return []


@router.get("/v1/examples")
def list_examples(settings: SettingsDep) -> list[ExampleFile]:
    """List the example files and the transcripts in each."""
    files = []
    for name, path in _example_files(settings.examples_dir).items():
        transcripts = _read(path)
        if transcripts:
            files.append(ExampleFile(name=name, transcripts=[
                ExampleSummary(id=t.id, channel=t.channel, language=t.language,
                               turns=len(t.turns))
                for t in transcripts]))
    return files


@router.get("/v1/examples/{name}")
def get_example(name: str, settings: SettingsDep) -> ExampleTranscripts:
    """Return the transcripts of one example file, in the shape ``POST /v1/score`` takes."""
    files = _example_files(settings.examples_dir)
    if name not in files:
        known = ", ".join(files) or "none (set AGENTASSIST_EXAMPLES_DIR)"
        raise HTTPException(404, f"no example named {name[:80]!r}; available: {known}")
    return ExampleTranscripts(name=name, transcripts=[TranscriptIn.from_transcript(t)
                                                      for t in _read(files[name])])
