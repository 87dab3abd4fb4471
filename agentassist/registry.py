"""register_detector, build_detector, available_detectors: detectors by name."""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from agentassist.errors import ConfigError, UnknownDetectorError

Factory = Callable[..., Any]
F = TypeVar("F", bound=Factory)

_REGISTRY: dict[str, Factory] = {}
_NAME = re.compile(r"^[a-z_]+\.[a-z_]+\.v\d+$")


def register_detector(name: str) -> Callable[[F], F]:
    """Register a detector factory under ``<behaviour>.<method>.v<N>``.

    Registering a taken name with a different factory is an error that suggests the
    next version.
    """
    if not _NAME.match(name):
        raise ConfigError(
            f"detector name {name!r} must look like '<behaviour>.<method>.v<N>', "
            "e.g. 'empathy.head.v1'"
        )

    def decorate(factory: F) -> F:
        taken = _REGISTRY.get(name)
        if taken is not None and taken.__qualname__ != factory.__qualname__:
            stem, version = name.rsplit(".v", 1)
            raise ConfigError(
                f"detector name {name!r} is taken by {taken.__qualname__}; "
                f"register the new one as '{stem}.v{int(version) + 1}'"
            )
        _REGISTRY[name] = factory
        return factory

    return decorate


def available_detectors() -> list[str]:
    """Return every registered detector name, sorted."""
    _import_builtin()
    return sorted(_REGISTRY)


def detector_factory(name: str) -> Factory:
    """Return the factory registered as ``name`` or raise ``UnknownDetectorError``."""
    _import_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(name, _REGISTRY, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownDetectorError(
            f"no detector named {name!r}.{hint} Available: {', '.join(sorted(_REGISTRY))}"
        ) from None


def build_detector(name: str, resources: Any, params: Mapping[str, Any] | None = None) -> Any:
    """Build detector ``name`` with ``params``: exactly its keyword-only arguments."""
    factory = detector_factory(name)
    params = dict(params or {})
    accepted = [
        p.name
        for p in inspect.signature(factory).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ConfigError(
            f"{name}: unknown parameter {unknown[0]!r}; accepted: {', '.join(accepted) or 'none'}"
        )
    detector = factory(resources, **params)
    detector.name = name
    return detector


def _import_builtin() -> None:
    import agentassist.detectors  # noqa: F401  (registers the built-in detectors)
