"""Agreement between the machine and the trainers, per criterion and per behaviour.

Criterion verdicts come from the trainers' overrides (a confirmed verdict is an
agreement, an overruled one a disagreement); behaviours from their turn-level decisions
against the machine's decision on the same turn. By default the machine's decisions are
the ones the trainers saw; with a ``pipeline`` the reviewed transcripts are analysed
again, so the report shows how the *current* models agree with everything trainers said.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evaluation.metrics import PRF, cohen_kappa

if TYPE_CHECKING:
    from agentassist.pipeline import Pipeline
    from agentassist.reviews import ReviewStore
    from agentassist.rubric import Rubric

ALL = "all"


def verdict_agreement(pairs: Iterable[tuple[str, str, str]]) -> dict[str, dict[str, float]]:
    """Return agreement per criterion from ``(criterion, machine status, trainer status)``.

    Keys per criterion: ``n``, ``agreed`` (confirmed), ``overruled``, ``agreement`` (the
    share agreed) and ``kappa`` (Cohen's, over the statuses); ``all`` pools every criterion.

    Example:
        >>> report = verdict_agreement([("confirm_solution", "missed", "missed"),
        ...                             ("confirm_solution", "met", "met"),
        ...                             ("confirm_solution", "missed", "met")])
        >>> report["confirm_solution"]["agreement"], report["confirm_solution"]["overruled"]
        (0.6667, 1.0)
    """
    groups: dict[str, list[tuple[str, str]]] = {}
    for criterion, by_machine, by_trainer in pairs:
        groups.setdefault(criterion, []).append((by_machine, by_trainer))
        groups.setdefault(ALL, []).append((by_machine, by_trainer))
    out = {}
    for name in sorted(groups, key=lambda k: (k == ALL, k)):
        machine = [m for m, _ in groups[name]]
        trainer = [t for _, t in groups[name]]
        agreed = sum(m == t for m, t in groups[name])
        out[name] = {
            "n": float(len(machine)), "agreed": float(agreed),
            "overruled": float(len(machine) - agreed),
            "agreement": round(agreed / len(machine), 4),
            "kappa": round(cohen_kappa(machine, trainer), 4),
        }
    return out


def behaviour_agreement(rows: Iterable[tuple[str, int, int]]) -> dict[str, dict[str, float]]:
    """Return agreement per behaviour from ``(behaviour, machine 0/1, trainer 0/1)``.

    Keys: ``n``, ``agreed``, ``agreement``, ``kappa``, the counts ``tp fp fn tn`` (the
    trainer as reference) and the machine's ``precision``/``recall`` against the trainers.

    Example:
        >>> report = behaviour_agreement([("empathy", 0, 1), ("empathy", 1, 1),
        ...                               ("empathy", 0, 0), ("empathy", 0, 0)])
        >>> report["empathy"]["agreement"], report["empathy"]["kappa"], report["empathy"]["fn"]
        (0.75, 0.5, 1.0)
    """
    groups: dict[str, list[tuple[int, int]]] = {}
    for behaviour, by_machine, by_trainer in rows:
        groups.setdefault(behaviour, []).append((int(by_machine), int(by_trainer)))
        groups.setdefault(ALL, []).append((int(by_machine), int(by_trainer)))
    out = {}
    for name in sorted(groups, key=lambda k: (k == ALL, k)):
        machine = [m for m, _ in groups[name]]
        trainer = [t for _, t in groups[name]]
        counts = PRF.count(machine, trainer)
        agreed = sum(m == t for m, t in groups[name])
        out[name] = {
            "n": float(len(machine)), "agreed": float(agreed),
            "agreement": round(agreed / len(machine), 4),
            "kappa": round(cohen_kappa(machine, trainer), 4),
            "tp": float(counts.tp), "fp": float(counts.fp), "fn": float(counts.fn),
            "tn": float(len(machine) - counts.tp - counts.fp - counts.fn),
            "precision": round(counts.precision, 4), "recall": round(counts.recall, 4),
        }
    return out


@dataclass
class AgreementReport:
    """The machine against the trainers: per criterion and per behaviour, with counts."""

    criteria: dict[str, dict[str, float]]
    behaviours: dict[str, dict[str, float]]
    machine: str = "as reviewed"
    source: str | None = None
    reviews: int = 0
    generated: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON (flat metric dicts, ready for a spreadsheet)."""
        return {"generated": self.generated, "machine": self.machine, "source": self.source,
                "reviews": self.reviews, "criteria": self.criteria,
                "behaviours": self.behaviours}

    def to_markdown(self) -> str:
        """Return the report as Markdown tables."""
        lines = ["# Agreement: machine vs trainers", "",
                 f"Generated {self.generated}; machine decisions: {self.machine}; "
                 f"{self.reviews} reviewed conversation(s)"
                 + (f" from source `{self.source}`" if self.source else "") + ".", "",
                 "A confirmed verdict or behaviour counts as agreement, an overruled or "
                 "corrected one as disagreement. Kappa is Cohen's kappa (1 = perfect, "
                 "0 = chance).", "", "## Criteria (verdict overrides)", ""]
        if self.criteria:
            lines += ["| criterion | n | confirmed | overruled | agreement | kappa |",
                      "|---|---:|---:|---:|---:|---:|"]
            lines += [f"| {name} | {m['n']:.0f} | {m['agreed']:.0f} | {m['overruled']:.0f} | "
                      f"{m['agreement']:.3f} | {m['kappa']:.3f} |"
                      for name, m in self.criteria.items()]
        else:
            lines.append("No verdicts reviewed yet.")
        lines += ["", "## Behaviours (turn corrections)", ""]
        if self.behaviours:
            lines += ["| behaviour | n | agreed | agreement | kappa | tp | fp | fn | tn |",
                      "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
            lines += [f"| {name} | {m['n']:.0f} | {m['agreed']:.0f} | {m['agreement']:.3f} | "
                      f"{m['kappa']:.3f} | {m['tp']:.0f} | {m['fp']:.0f} | {m['fn']:.0f} | "
                      f"{m['tn']:.0f} |" for name, m in self.behaviours.items()]
        else:
            lines.append("No turn behaviours reviewed yet.")
        return "\n".join(lines) + "\n"

    def write(self, path: Path) -> None:
        """Write the report as JSON, or Markdown when ``path`` ends in ``.md``."""
        if path.suffix.lower() == ".md":
            path.write_text(self.to_markdown(), encoding="utf-8")
        else:
            path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")


def agreement_report(store: ReviewStore, *, source: str | None = None,
                     pipeline: Pipeline | None = None,
                     rubric: Rubric | None = None) -> AgreementReport:
    """Compare the machine with the trainers' decisions stored in ``store``.

    Args:
        store: the review database.
        source: only conversations imported with this source label.
        pipeline: analyse the reviewed transcripts again with these models, instead of
            using the decisions the trainers saw.
        rubric: the rubric to re-score verdicts with (default: the packaged one).
    """
    verdicts = store.verdicts(source=source)
    corrections = store.corrections(source=source)
    reviews = {v.review_id for v in verdicts} | {c.review_id for c in corrections}
    if pipeline is None:
        return AgreementReport(
            verdict_agreement((v.criterion, v.machine_status, v.status) for v in verdicts),
            behaviour_agreement((c.behaviour, c.machine_value, c.value) for c in corrections),
            source=source, reviews=len(reviews))
    from agentassist.rubric import load_rubric
    from agentassist.scoring import score

    rubric = rubric or load_rubric()
    transcripts = store.transcripts(reviews)
    ids = sorted(transcripts)
    analysed = dict(zip(ids, pipeline.analyse_many([transcripts[i] for i in ids]), strict=True))
    statuses = {rid: {r.id: r.status.value for r in
                      score(transcripts[rid], analysed[rid], rubric).criteria} for rid in ids}
    return AgreementReport(
        verdict_agreement((v.criterion, statuses[v.review_id].get(v.criterion, "n/a"), v.status)
                          for v in verdicts),
        behaviour_agreement((c.behaviour, int(c.behaviour in analysed[c.review_id][c.turn].present),
                             c.value) for c in corrections),
        machine=f"re-analysed with the current models ({pipeline.method})", source=source,
        reviews=len(reviews))


def summary_line(report: AgreementReport, names: Sequence[str] = (ALL,)) -> str:
    """Return one line with the pooled agreement figures (for the command line)."""
    parts = []
    for label, table in (("criteria", report.criteria), ("behaviours", report.behaviours)):
        for name in names:
            m: Mapping[str, float] | None = table.get(name)
            if m:
                parts.append(f"{label}: agreement {m['agreement']:.3f}, kappa {m['kappa']:.3f} "
                             f"(n={m['n']:.0f})")
    return "; ".join(parts) or "no reviewed verdicts or behaviours yet"
