"""The exception family of agentassist.

AgentAssistError                 anything agentassist raises on purpose
├── InputError                   the data is wrong: fix the input
│   ├── TranscriptFormatError      a transcript file or live message is malformed
│   └── RubricError                a rubric is malformed or inconsistent
├── ConfigError                  settings or detector parameters are wrong
│   └── UnknownDetectorError       a detector name is not registered
├── ModelNotFoundError           a model folder or the encoder package is missing
└── DetectorError                a detector crashed or broke its contract (a bug)

Callers catch a family (``except InputError``), not a message.
"""

from __future__ import annotations

from pathlib import Path


class AgentAssistError(Exception):
    """Base of every error agentassist raises on purpose."""


class InputError(AgentAssistError, ValueError):
    """The data is wrong: the user must fix the input."""


class TranscriptFormatError(InputError):
    """A transcript file or live message is malformed.

    The message reads like a compiler error:
    ``calls.jsonl:17: transcript 'c-0192', turn 3: unknown speaker 'agnet'; ...``
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | Path | None = None,
        line: int | None = None,
        transcript_id: str | None = None,
        turn: int | None = None,
    ) -> None:
        self.source = str(source) if source is not None else None
        self.line = line
        self.transcript_id = transcript_id
        self.turn = turn
        self.detail = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.source is not None:
            where.append(self.source if self.line is None else f"{self.source}:{self.line}")
        context = []
        if self.transcript_id is not None:
            context.append(f"transcript {self.transcript_id!r}")
        if self.turn is not None:
            context.append(f"turn {self.turn}")
        prefix = ": ".join(part for part in (":".join(where), ", ".join(context)) if part)
        return f"{prefix}: {self.detail}" if prefix else self.detail


class RubricError(InputError):
    """A rubric is malformed or inconsistent; the message lists every problem."""


class ConfigError(AgentAssistError, ValueError):
    """Settings or detector parameters are wrong."""


class UnknownDetectorError(ConfigError, LookupError):
    """A detector name is not registered."""


class ModelNotFoundError(AgentAssistError, LookupError):
    """A model folder or the encoder package is missing."""


class DetectorError(AgentAssistError, RuntimeError):
    """A detector crashed or broke its contract: a bug, not bad input."""
