"""Behaviour detectors: one module per behaviour, rule-based and model-backed side by side."""

from __future__ import annotations

from agentassist.detectors import (  # noqa: F401  (importing registers them)
    acknowledgement,
    check_understanding,
    closed_question,
    confusion,
    empathy,
    greeting,
    guidance,
    information,
    interest,
    need,
    negative_emotion,
    open_question,
    personalization,
)
from agentassist.detectors.base import Detector, HeadDetector, check_unit_interval

__all__ = ["Detector", "HeadDetector", "check_unit_interval"]
