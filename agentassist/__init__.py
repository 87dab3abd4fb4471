"""agentassist: find customer-experience behaviours in contact-centre conversations.

Read transcripts, analyse every turn once, score against the checklist::

    from agentassist import Pipeline, Resources, load_rubric, read_transcripts, score

    pipeline = Pipeline.from_resources(Resources.load())
    for transcript in read_transcripts("examples/good_call.txt"):
        scorecard = score(transcript, pipeline.analyse(transcript), load_rubric())
"""

from __future__ import annotations

from agentassist.behaviours import (
    AGENT_BEHAVIOURS,
    BEHAVIOURS,
    CUSTOMER_BEHAVIOURS,
    behaviours_for,
)
from agentassist.coach import Coach, Hint, Phase
from agentassist.errors import (
    AgentAssistError,
    ConfigError,
    DetectorError,
    InputError,
    ModelNotFoundError,
    RubricError,
    TranscriptFormatError,
    UnknownDetectorError,
)
from agentassist.evidence import Evidence, Hit
from agentassist.pipeline import Pipeline, TurnAnalysis
from agentassist.readers import read_transcripts
from agentassist.registry import available_detectors, build_detector, register_detector
from agentassist.resources import Resources
from agentassist.rubric import CRITERION_IDS, Criterion, Rubric, load_rubric
from agentassist.scoring import CriterionResult, Scorecard, Status, score
from agentassist.transcript import Channel, Role, Transcript, Turn
from agentassist.window import TurnWindow

__version__ = "0.1.0"

__all__ = [
    "AGENT_BEHAVIOURS",
    "BEHAVIOURS",
    "CRITERION_IDS",
    "CUSTOMER_BEHAVIOURS",
    "AgentAssistError",
    "Channel",
    "Coach",
    "ConfigError",
    "Criterion",
    "CriterionResult",
    "DetectorError",
    "Evidence",
    "Hint",
    "Hit",
    "InputError",
    "ModelNotFoundError",
    "Phase",
    "Pipeline",
    "Resources",
    "Role",
    "Rubric",
    "RubricError",
    "Scorecard",
    "Status",
    "Transcript",
    "TranscriptFormatError",
    "Turn",
    "TurnAnalysis",
    "TurnWindow",
    "UnknownDetectorError",
    "available_detectors",
    "behaviours_for",
    "build_detector",
    "load_rubric",
    "read_transcripts",
    "register_detector",
    "score",
]
