"""Spreadsheet rows: scorecards flattened to one row each, results files, report tables.

A results file (``.jsonl``, ``.csv`` or ``.parquet``) is written from the database as a
stream. JSONL rows are the full scorecard JSON plus ``source``; CSV and Parquet rows are
flat: ids, source, channel, metadata columns, overall, per-criterion status, score and
first evidence quote, the survey items and the flags.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from agentassist.errors import ConfigError

RESULT_SUFFIXES: Final = (".jsonl", ".csv", ".parquet")
#: Leading columns of a flat results row, in order (metadata, criteria and survey follow).
BASE_COLUMNS: Final = ("transcript_id", "source", "channel", "language", "rubric", "answered",
                       "overall", "turns", "flags", "flag_count")
_WRITE_BATCH: Final = 1000


def metadata_column(key: str) -> str:
    """Return the column of metadata ``key``: the key itself unless a fixed column has it.

    Example:
        >>> metadata_column("agent"), metadata_column("overall")
        ('agent', 'metadata_overall')
    """
    return f"metadata_{key}" if key in BASE_COLUMNS or key.startswith(("survey_", "flag")) else key


def _quote(criterion: Mapping[str, Any]) -> str:
    evidence = criterion.get("evidence") or []
    if not evidence:
        return ""
    first = evidence[0]
    return f"turn {first.get('turn')} {first.get('speaker')}: {first.get('quote', '')}"


def flat_row(scorecard: Mapping[str, Any], source: str = "") -> dict[str, Any]:
    """Flatten one scorecard JSON into a spreadsheet row.

    Columns: :data:`BASE_COLUMNS`, then each metadata key, then ``<criterion>_status``,
    ``<criterion>_score`` and ``<criterion>_evidence`` per criterion, then
    ``survey_<item>`` (true/false) per survey item.

    Example:
        >>> row = flat_row({"transcript_id": "c-1", "channel": "chat", "overall": 0.5,
        ...     "criteria": [{"id": "lead_dialogue", "status": "met", "score": 1.0,
        ...                   "evidence": [{"turn": 2, "speaker": "agent",
        ...                                 "quote": "Next, I'll"}]}],
        ...     "flags": [{"id": "low_overall"}], "survey": {"competent": True},
        ...     "metadata": {"agent": "Ann"}}, "calls.jsonl")
        >>> row["lead_dialogue_status"], row["lead_dialogue_evidence"], row["survey_competent"]
        ('met', "turn 2 agent: Next, I'll", True)
        >>> row["agent"], row["flags"]
        ('Ann', 'low_overall')
    """
    criteria = scorecard.get("criteria") or []
    flags = scorecard.get("flags") or []
    row: dict[str, Any] = {
        "transcript_id": scorecard.get("transcript_id"),
        "source": source,
        "channel": scorecard.get("channel"),
        "language": scorecard.get("language"),
        "rubric": scorecard.get("rubric"),
        "answered": not any(c.get("status") == "not_answered" for c in criteria),
        "overall": scorecard.get("overall"),
        "turns": len(scorecard.get("turns") or []),
        "flags": ";".join(str(f.get("id")) for f in flags),
        "flag_count": len(flags),
    }
    for key, value in (scorecard.get("metadata") or {}).items():
        row[metadata_column(str(key))] = value
    for criterion in criteria:
        cid = criterion.get("id")
        row[f"{cid}_status"] = criterion.get("status")
        row[f"{cid}_score"] = criterion.get("score")
        row[f"{cid}_evidence"] = _quote(criterion)
    for item, value in (scorecard.get("survey") or {}).items():
        row[f"survey_{item}"] = bool(value)
    return row


def row_columns(metadata_keys: Iterable[str], criteria: Sequence[str],
                survey: Sequence[str]) -> list[str]:
    """Return the ordered columns of flat rows with these metadata keys, criteria and items."""
    columns = list(BASE_COLUMNS)
    columns += sorted({metadata_column(k) for k in metadata_keys} - set(columns))
    for cid in criteria:
        columns += [f"{cid}_status", f"{cid}_score", f"{cid}_evidence"]
    columns += [f"survey_{item}" for item in survey]
    return columns


def check_results_path(path: str | Path) -> Path:
    """Return ``path`` if its extension is a results format.

    Raises:
        ConfigError: the extension is not .jsonl, .csv or .parquet.
    """
    path = Path(path)
    if path.suffix.lower() not in RESULT_SUFFIXES:
        raise ConfigError(f"{path}: results must be a {', '.join(RESULT_SUFFIXES)} file, got "
                          f"extension {path.suffix!r}")
    return path


Records = Callable[[], Iterator[tuple[str, Mapping[str, Any]]]]


def iter_csv(records: Records) -> Iterator[str]:
    """Yield the flat rows of ``records`` as CSV text in pieces of about 64 KB.

    ``records`` is walked twice: first for the columns, then for the rows.
    """
    columns = _columns(records())
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for source, scorecard in records():
        writer.writerow({k: _cell(v) for k, v in flat_row(scorecard, source).items()})
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_results(records: Records, path: str | Path) -> int:
    """Write results to ``path`` by its extension, streaming; return the row count.

    ``records`` is a callable returning a fresh iterator of ``(source, scorecard)``
    pairs: flat formats walk it twice (first to find every column), never holding all
    rows in memory.
    """
    path = check_results_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _write_jsonl(records(), path)
    if suffix == ".csv":
        return _write_csv(records, path)
    return _write_parquet((flat_row(s, src) for src, s in records()), _columns(records()), path)


def _columns(records: Iterator[tuple[str, Mapping[str, Any]]]) -> list[str]:
    metadata: set[str] = set()
    criteria: dict[str, None] = {}
    survey: dict[str, None] = {}
    for _, scorecard in records:
        metadata.update(str(k) for k in (scorecard.get("metadata") or {}))
        for criterion in scorecard.get("criteria") or []:
            criteria.setdefault(criterion.get("id"), None)
        for item in scorecard.get("survey") or {}:
            survey.setdefault(item, None)
    return row_columns(metadata, list(criteria), list(survey))


def _write_jsonl(records: Iterator[tuple[str, Mapping[str, Any]]], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for source, scorecard in records:
            handle.write(json.dumps({**scorecard, "source": source}, ensure_ascii=False) + "\n")
            count += 1
    return count


def _write_csv(records: Records, path: Path) -> int:
    columns = _columns(records())
    count = 0
    # utf-8-sig: Excel opens it with the right characters.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for source, scorecard in records():
            writer.writerow({k: _cell(v) for k, v in flat_row(scorecard, source).items()})
            count += 1
    return count


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _parquet_type(column: str) -> Any:
    import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

    if column in ("overall",) or column.endswith("_score"):
        return pa.float64()
    if column in ("answered",) or column.startswith("survey_"):
        return pa.bool_()
    if column in ("turns", "flag_count"):
        return pa.int64()
    return pa.string()


def _write_parquet(rows: Iterator[dict[str, Any]], columns: Sequence[str], path: Path) -> int:
    try:
        import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
        import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        raise ConfigError("writing .parquet needs pyarrow: run 'pip install pyarrow', or "
                          "write .csv or .jsonl") from None
    schema = pa.schema([(c, _parquet_type(c)) for c in columns])
    count = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= _WRITE_BATCH:
                writer.write_table(_table(batch, schema))
                count += len(batch)
                batch = []
        if batch or count == 0:
            writer.write_table(_table(batch, schema))
            count += len(batch)
    return count


def _table(rows: list[dict[str, Any]], schema: Any) -> Any:
    import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]

    data = {}
    for name in schema.names:
        kind = schema.field(name).type
        values = [row.get(name) for row in rows]
        if pa.types.is_string(kind):
            values = [None if v is None else str(v) for v in values]
        data[name] = values
    return pa.table(data, schema=schema)


# -- report tables to spreadsheets ----------------------------------------------------------


def write_tables_xlsx(tables: Mapping[str, tuple[Sequence[str], Sequence[Sequence[Any]]]],
                      path: str | Path) -> Path:
    """Write each ``name: (header, rows)`` table to its own sheet of an XLSX workbook."""
    try:
        from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
        from openpyxl.styles import Font  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        raise ConfigError("--xlsx needs openpyxl: run 'pip install openpyxl'") from None
    path = Path(path)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, (header, rows) in tables.items():
        sheet = workbook.create_sheet(title=name[:31])
        sheet.append(list(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_xlsx_cell(v) for v in row])
        sheet.freeze_panes = "B2"
        for column in sheet.columns:
            width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def _xlsx_cell(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def write_tables_csv(tables: Mapping[str, tuple[Sequence[str], Sequence[Sequence[Any]]]],
                     folder: str | Path) -> list[Path]:
    """Write each ``name: (header, rows)`` table to ``folder/<name>.csv``; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (header, rows) in tables.items():
        path = folder / f"{name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        written.append(path)
    return written


__all__ = [
    "BASE_COLUMNS",
    "RESULT_SUFFIXES",
    "check_results_path",
    "iter_csv",
    "flat_row",
    "metadata_column",
    "row_columns",
    "write_results",
    "write_tables_csv",
    "write_tables_xlsx",
]
