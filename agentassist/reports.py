"""QA reports: share tables, criterion pass rates, score spread, trend and worst calls.

:func:`build_report` reads a results file (``agentassist batch`` output: .jsonl, .csv or
.parquet) in one streaming pass and returns a :class:`Report` of plain tables;
:func:`render_html` turns it into one self-contained HTML page (inline CSS and SVG,
nothing fetched), and :func:`report_tables` into spreadsheet tables.

Shares follow the study's method (PRODUCT.md): the share of **all** contacts, the
unanswered ones included, in which each survey item held. A criterion's pass rate is
met / (met + missed); n/a and not answered count in neither.
"""

from __future__ import annotations

import csv
import heapq
import itertools
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from agentassist.errors import ConfigError, InputError
from agentassist.export import RESULT_SUFFIXES, flat_row

GROUPS: Final = ("agent", "team", "channel", "month", "participant", "industry")
DATE_KEYS: Final = ("date", "datetime", "timestamp", "start_time", "started_at", "call_date",
                    "created_at", "metadata_date")
UNKNOWN: Final = "(unknown)"
ALL: Final = "All contacts"
BINS: Final = 10
WORST: Final = 15
WEEKLY_UP_TO_DAYS: Final = 92  # a shorter span is shown by week, a longer one by month
STATUSES: Final = ("met", "missed", "n/a", "not_answered")


# -- reading results files ------------------------------------------------------------------


def read_results(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield the flat rows of a results file (.jsonl, .csv or .parquet), streamed.

    Raises:
        InputError: the file is missing, of another kind, or a row is malformed.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in RESULT_SUFFIXES:
        raise InputError(f"{path}: results must be a {', '.join(RESULT_SUFFIXES)} file "
                         f"(the output of 'agentassist batch'), got {suffix!r}")
    if not path.is_file():
        raise InputError(f"{path}: no such results file; expected the --out file of "
                         "'agentassist batch'")
    if suffix == ".jsonl":
        return _read_jsonl(path)
    if suffix == ".csv":
        return _read_csv(path)
    return _read_parquet(path)


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                scorecard = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{number}: broken JSON at column {exc.colno}: "
                                 f"{exc.msg}; expected one scorecard per line") from None
            if not isinstance(scorecard, dict) or "criteria" not in scorecard:
                raise InputError(f"{path}:{number}: not a scorecard (no 'criteria'); expected "
                                 "the JSONL written by 'agentassist batch'")
            yield flat_row(scorecard, str(scorecard.get("source", "")))


def _read_csv(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "overall" not in reader.fieldnames:
            raise InputError(f"{path}: no 'overall' column; expected the CSV written by "
                             "'agentassist batch'")
        for row in reader:
            yield {key: _typed(key, value) for key, value in row.items()}


def _read_parquet(path: Path) -> Iterator[dict[str, Any]]:
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        raise ConfigError("reading .parquet needs pyarrow: run 'pip install pyarrow'") from None
    for batch in pq.ParquetFile(str(path)).iter_batches(batch_size=2000):
        yield from batch.to_pylist()


def _typed(key: str, value: str | None) -> Any:
    if value is None or value == "":
        return None
    if key == "overall" or key.endswith("_score"):
        try:
            return float(value)
        except ValueError:
            return None
    if key == "answered" or key.startswith("survey_"):
        return value.strip().lower() in ("true", "1", "yes")
    return value


# -- the report as plain data ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Table:
    """A table: a header and rows of plain values (None where there is nothing to show)."""

    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass
class _Tally:
    """Counts for one group (or one day): contacts, survey, criteria, score spread."""

    contacts: int = 0
    answered: int = 0
    overall_sum: float = 0.0
    flagged: int = 0
    flags: dict[str, int] = field(default_factory=dict)
    survey: dict[str, int] = field(default_factory=dict)
    criteria: dict[str, dict[str, int]] = field(default_factory=dict)
    bins: list[int] = field(default_factory=lambda: [0] * BINS)

    def add(self, row: Mapping[str, Any], survey: Sequence[str], criteria: Sequence[str]) -> None:
        self.contacts += 1
        if row.get("flag_count"):
            self.flagged += 1
        for flag in set(str(row.get("flags") or "").split(";")) - {""}:
            self.flags[flag] = self.flags.get(flag, 0) + 1
        for item in survey:
            if row.get(f"survey_{item}"):
                self.survey[item] = self.survey.get(item, 0) + 1
        for cid in criteria:
            status = row.get(f"{cid}_status")
            if status in STATUSES:
                counts = self.criteria.setdefault(cid, dict.fromkeys(STATUSES, 0))
                counts[status] += 1
        if row.get("answered", True) is False:
            return
        overall = row.get("overall")
        if isinstance(overall, int | float) and not math.isnan(overall):
            self.answered += 1
            self.overall_sum += float(overall)
            self.bins[min(BINS - 1, max(0, int(overall * BINS)))] += 1

    def merge(self, other: _Tally) -> None:
        self.contacts += other.contacts
        self.answered += other.answered
        self.overall_sum += other.overall_sum
        self.flagged += other.flagged
        for flag, count in other.flags.items():
            self.flags[flag] = self.flags.get(flag, 0) + count
        for item, count in other.survey.items():
            self.survey[item] = self.survey.get(item, 0) + count
        for cid, counts in other.criteria.items():
            mine = self.criteria.setdefault(cid, dict.fromkeys(STATUSES, 0))
            for status, count in counts.items():
                mine[status] += count
        self.bins = [a + b for a, b in zip(self.bins, other.bins, strict=True)]

    def share(self, item: str) -> float | None:
        return self.survey.get(item, 0) / self.contacts if self.contacts else None

    def mean(self) -> float | None:
        return self.overall_sum / self.answered if self.answered else None

    def pass_rate(self, cid: str) -> float | None:
        counts = self.criteria.get(cid, {})
        judged = counts.get("met", 0) + counts.get("missed", 0)
        return counts.get("met", 0) / judged if judged else None

    def not_applicable(self, cid: str) -> float | None:
        counts = self.criteria.get(cid, {})
        return counts.get("n/a", 0) / self.contacts if self.contacts else None


@dataclass(frozen=True, slots=True)
class Worst:
    """One of the lowest-scoring answered conversations, with the evidence of what was missed."""

    transcript_id: str
    source: str
    group: str
    overall: float
    date: str
    agent: str
    channel: str
    flags: tuple[str, ...]
    missed: tuple[tuple[str, str, str], ...]  # (criterion title, where, evidence quote)


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the QA report shows, as plain data."""

    title: str
    by: str
    contacts: int
    answered: int
    flagged: int
    mean_overall: float | None
    survey_items: tuple[tuple[str, str], ...]  # (id, label)
    criteria: tuple[tuple[str, str], ...]  # (id, title)
    shares: Table
    pass_rates: Table
    not_applicable: Table
    flags: Table
    histogram: tuple[int, ...]
    group_histograms: tuple[tuple[str, tuple[int, ...]], ...]
    trend_unit: str
    trend: Table
    worst: tuple[Worst, ...]
    generated: str = ""


# -- building it in one pass ----------------------------------------------------------------


def _labels() -> tuple[dict[str, str], dict[str, str]]:
    from agentassist.rubric import load_rubric

    rubric = load_rubric()
    return ({item.id: item.text for item in rubric.survey},
            {c.id: getattr(c, "title", "") or c.id.replace("_", " ") for c in rubric.criteria})


def _day(row: Mapping[str, Any]) -> date | None:
    for key in DATE_KEYS:
        value = row.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value).strip()
        for candidate in (text, text[:10]):
            try:
                return datetime.fromisoformat(candidate).date()
            except ValueError:
                continue
    return None


def group_of(row: Mapping[str, Any], by: str) -> str:
    """Return the group of a flat row for ``by`` (month: ``YYYY-MM`` of its date).

    Example:
        >>> group_of({"team": "Cards", "date": "2024-05-02"}, "month")
        '2024-05'
        >>> group_of({"channel": "chat"}, "agent")
        '(unknown)'
    """
    if by == "month":
        day = _day(row)
        return day.strftime("%Y-%m") if day else UNKNOWN
    value = row.get(by)
    if value is None:
        value = row.get(f"metadata_{by}")
    text = str(value).strip() if value is not None else ""
    return text or UNKNOWN


def build_report(rows: Iterable[Mapping[str, Any]], *, by: str = "channel",
                 title: str = "QA report", worst: int = WORST) -> Report:
    """Build the report from flat result rows in one pass (memory: per group and per day).

    Example:
        >>> rows = [{"channel": "chat", "overall": 0.8, "answered": True,
        ...          "survey_competent": True, "lead_dialogue_status": "met"},
        ...         {"channel": "chat", "overall": 0.0, "answered": False,
        ...          "survey_competent": False, "lead_dialogue_status": "not_answered"}]
        >>> report = build_report(rows)
        >>> report.shares.header[:3], report.shares.rows[0][:3]
        (('channel', 'contacts', 'answered'), ('chat', 2, 1))
        >>> shares = dict(zip(report.shares.header, report.shares.rows[0]))
        >>> shares["Agent competent and knowledgeable"]
        0.5

    Raises:
        ConfigError: ``by`` is not one of :data:`GROUPS`.
    """
    if by not in GROUPS:
        raise ConfigError(f"--by must be one of {', '.join(GROUPS)}, got {by!r}")
    survey_labels, criterion_titles = _labels()
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        raise InputError("the results hold no rows; expected at least one scored transcript")
    survey = [k[len("survey_"):] for k in first if k.startswith("survey_")]
    criteria = [k[: -len("_status")] for k in first if k.endswith("_status")]
    groups: dict[str, _Tally] = {}
    days: dict[date, _Tally] = {}
    lowest: list[tuple[float, int, Worst]] = []
    total = _Tally()
    for number, row in enumerate(itertools.chain([first], rows)):
        group = group_of(row, by)
        groups.setdefault(group, _Tally()).add(row, survey, criteria)
        total.add(row, survey, criteria)
        day = _day(row)
        if day is not None:
            days.setdefault(day, _Tally()).add(row, survey, criteria)
        overall = row.get("overall")
        if row.get("answered") is not False and isinstance(overall, int | float):
            entry = (-float(overall), -number, _worst(row, group, criteria, criterion_titles))
            if len(lowest) < worst:
                heapq.heappush(lowest, entry)
            elif entry > lowest[0]:
                heapq.heapreplace(lowest, entry)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] == UNKNOWN, -kv[1].contacts, kv[0]))
    if by == "month":
        ordered = sorted(groups.items(), key=lambda kv: (kv[0] == UNKNOWN, kv[0]))
    items = tuple((k, survey_labels.get(k, k.replace("_", " ").capitalize())) for k in survey)
    titles = tuple((c, criterion_titles.get(c, c.replace("_", " "))) for c in criteria)
    trend_unit, trend = _trend(days, survey, items)
    return Report(
        title=title, by=by, contacts=total.contacts, answered=total.answered,
        flagged=total.flagged, mean_overall=total.mean(), survey_items=items, criteria=titles,
        shares=_shares(by, ordered, total, survey, items),
        pass_rates=_criteria_table(by, ordered, total, criteria, titles, "pass"),
        not_applicable=_criteria_table(by, ordered, total, criteria, titles, "n/a"),
        flags=Table(("flag", "contacts", "share"), tuple(
            (flag, count, count / total.contacts)
            for flag, count in sorted(total.flags.items(), key=lambda kv: (-kv[1], kv[0])))),
        histogram=tuple(total.bins),
        group_histograms=tuple((name, tuple(t.bins)) for name, t in ordered[:12]),
        trend_unit=trend_unit, trend=trend,
        worst=tuple(w for _, _, w in sorted(lowest, reverse=True)),
        generated=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    )


def _worst(row: Mapping[str, Any], group: str, criteria: Sequence[str],
           titles: Mapping[str, str]) -> Worst:
    missed = tuple((titles.get(c, c), *_where(str(row.get(f"{c}_evidence") or "")))
                   for c in criteria if row.get(f"{c}_status") == "missed")
    flags = tuple(dict.fromkeys(f for f in str(row.get("flags") or "").split(";") if f))
    day = _day(row)
    return Worst(str(row.get("transcript_id", "")), str(row.get("source") or ""), group,
                 float(row.get("overall") or 0.0), day.isoformat() if day else "",
                 str(row.get("agent") or ""), str(row.get("channel") or ""), flags, missed)


_EVIDENCE = re.compile(r"^turn (\d+) (\w+): (.*)$", re.DOTALL)


def _where(evidence: str) -> tuple[str, str]:
    """Split a flat row's ``turn 3 agent: quote`` into ``("turn 3, agent", "quote")``."""
    match = _EVIDENCE.match(evidence)
    if match is None:
        return "", evidence
    return f"turn {match[1]}, {match[2]}", match[3]


def _shares(by: str, ordered: Sequence[tuple[str, _Tally]], total: _Tally,
            survey: Sequence[str], items: Sequence[tuple[str, str]]) -> Table:
    header = (by, "contacts", "answered", *(label for _, label in items), "mean overall")
    rows = [(name, t.contacts, t.answered, *(t.share(i) for i in survey), t.mean())
            for name, t in [*ordered, (ALL, total)]]
    return Table(header, tuple(rows))


def _criteria_table(by: str, ordered: Sequence[tuple[str, _Tally]], total: _Tally,
                    criteria: Sequence[str], titles: Sequence[tuple[str, str]],
                    kind: str) -> Table:
    header = (by, "contacts", *(title for _, title in titles))
    rows = []
    for name, t in [*ordered, (ALL, total)]:
        values = [t.pass_rate(c) if kind == "pass" else t.not_applicable(c) for c in criteria]
        rows.append((name, t.contacts, *values))
    return Table(header, tuple(rows))


def _trend(days: Mapping[date, _Tally], survey: Sequence[str],
           items: Sequence[tuple[str, str]]) -> tuple[str, Table]:
    header = ("period", "contacts", "mean overall", *(label for _, label in items))
    if not days:
        return "month", Table(header, ())
    span = (max(days) - min(days)).days
    weekly = span <= WEEKLY_UP_TO_DAYS
    periods: dict[str, _Tally] = {}
    for day, tally in sorted(days.items()):
        year, week, _ = day.isocalendar()
        key = f"{year}-W{week:02d}" if weekly else day.strftime("%Y-%m")
        periods.setdefault(key, _Tally()).merge(tally)
    rows = tuple((key, t.contacts, t.mean(), *(t.share(i) for i in survey))
                 for key, t in sorted(periods.items()))
    return ("week" if weekly else "month"), Table(header, rows)


# -- outputs --------------------------------------------------------------------------------


def report_tables(report: Report) -> dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]:
    """Return the report's tables for a spreadsheet: shares and rates in %, worst calls."""
    shares = [(*row[:3], *(_percent(v) for v in row[3:-1]), _round(row[-1]))
              for row in report.shares.rows]
    pass_rates = [(*row[:2], *(_percent(v) for v in row[2:])) for row in report.pass_rates.rows]
    not_applicable = [(*row[:2], *(_percent(v) for v in row[2:]))
                      for row in report.not_applicable.rows]
    trend = [(*row[:2], _round(row[2]), *(_percent(v) for v in row[3:]))
             for row in report.trend.rows]
    worst_header = ("transcript_id", "source", report.by, "overall", "date", "agent",
                    "channel", "flags", "missed criteria and evidence")
    worst = [(w.transcript_id, w.source, w.group, _round(w.overall), w.date, w.agent,
              w.channel, ";".join(w.flags),
              " | ".join(f"{title} ({where}): {quote}" for title, where, quote in w.missed))
             for w in report.worst]
    return {
        "shares": (_percent_header(report.shares.header, 3), shares),
        "pass_rates": (_percent_header(report.pass_rates.header, 2), pass_rates),
        "not_applicable": (_percent_header(report.not_applicable.header, 2), not_applicable),
        "trend": (_percent_header(report.trend.header, 3), trend),
        "flags": (("flag", "contacts", "share (%)"),
                  [(f, n, _percent(share)) for f, n, share in report.flags.rows]),
        "worst": (worst_header, worst),
    }


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _percent_header(header: Sequence[str], skip: int) -> tuple[str, ...]:
    return (*header[:skip], *(h if h == "mean overall" else f"{h} (%)" for h in header[skip:]))


PALETTE: Final = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                  "#8C6D31", "#999999")  # Okabe-Ito: tells groups apart for colour-blind readers


def chart_data(report: Report) -> dict[str, Any]:
    """Return what the report's plots draw: values in [0, 1], groups with their colours."""
    named = [row[0] for row in report.shares.rows[:-1] if row[0] != UNKNOWN][: len(PALETTE)]
    colours = dict(zip(named, PALETTE, strict=False))

    def bars(table: Table, skip: int, labels: Sequence[str]) -> list[dict[str, Any]]:
        total = table.rows[-1]
        by_group = {row[0]: row for row in table.rows[:-1]}
        return [{"label": label, "all": total[skip + i],
                 "groups": [(g, colours[g], by_group[g][skip + i]) for g in named
                            if by_group[g][skip + i] is not None]}
                for i, label in enumerate(labels)]

    trend_rows = report.trend.rows
    lines = [{"label": "mean overall score", "colour": "#111827", "width": 3,
              "values": [row[2] for row in trend_rows]}]
    for i, (_, label) in enumerate(report.survey_items):
        lines.append({"label": label, "colour": PALETTE[i % len(PALETTE)], "width": 1.5,
                      "values": [row[3 + i] for row in trend_rows]})
    return {
        "groups": [(g, colours[g]) for g in named],
        "shares": bars(report.shares, 3, [label for _, label in report.survey_items]),
        "pass_rates": bars(report.pass_rates, 2, [title for _, title in report.criteria]),
        "histogram": list(report.histogram),
        "histogram_max": max(report.histogram) if any(report.histogram) else 1,
        "trend": {"periods": [row[0] for row in trend_rows],
                  "contacts": [row[1] for row in trend_rows],
                  "contacts_max": max((row[1] for row in trend_rows), default=1) or 1,
                  "lines": lines},
    }


def render_html(report: Report) -> str:
    """Render the report as one self-contained HTML page (inline CSS and SVG)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("agentassist", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["pct"] = _pct
    env.filters["num"] = _num
    env.filters["heat"] = _heat
    template = env.get_template("report.html.j2")
    return template.render(report=report, charts=chart_data(report), bins=BINS,
                           unknown=UNKNOWN, all_label=ALL)


def _pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f} %"


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _heat(value: float | None) -> str:
    """Return a background colour from red (0) through amber to green (1)."""
    if value is None:
        return "#f3f4f6"
    hue = round(120 * max(0.0, min(1.0, value)))
    return f"hsl({hue}, 65%, 82%)"


def write_report(results: str | Path, out: str | Path, *, by: str = "channel",
                 title: str | None = None) -> Report:
    """Read ``results``, build the report, and write it as HTML to ``out``."""
    report = build_report(read_results(results), by=by,
                          title=title or f"QA report: {Path(results).name}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(report), encoding="utf-8")
    return report


__all__ = [
    "GROUPS",
    "Report",
    "Table",
    "Worst",
    "build_report",
    "chart_data",
    "group_of",
    "read_results",
    "render_html",
    "report_tables",
    "write_report",
]
