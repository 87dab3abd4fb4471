"""ServiceState: what the lifespan loads once and every request and session shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from agentassist.pipeline import Pipeline
from agentassist.resources import Resources
from agentassist.rubric import Rubric
from service.batching import TurnBatcher
from service.sessions import SessionLimits, SessionRegistry
from service.settings import Settings


@dataclass(slots=True)
class ServiceState:
    """The loaded models, the rubric, the batching worker and the open live sessions."""

    settings: Settings
    resources: Resources
    pipeline: Pipeline
    rubric: Rubric
    batcher: TurnBatcher
    sessions: SessionRegistry = field(default_factory=SessionRegistry)

    @property
    def limits(self) -> SessionLimits:
        """Return what one live session accepts, from the settings."""
        return SessionLimits(max_text_chars=self.settings.max_text_chars,
                             max_turns=self.settings.max_turns,
                             cooldown_turns=self.settings.cooldown_turns,
                             trigger_confidence=self.settings.trigger_confidence)
