"""QA reports: share tables over all contacts, pass rates, trend, worst calls, HTML, exports."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agentassist.batch import export_job, run_batch
from agentassist.cli import app
from agentassist.errors import ConfigError, InputError
from agentassist.export import write_tables_csv, write_tables_xlsx
from agentassist.jobs import JobStore
from agentassist.pipeline import Pipeline
from agentassist.reports import (
    ALL,
    build_report,
    group_of,
    read_results,
    render_html,
    report_tables,
)
from agentassist.synth import write_jsonl

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "images" / "report.png"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory,
            rules_pipeline: Pipeline) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("results")
    calls = write_jsonl(folder / "calls.jsonl", 100, turns=12, seed=21)
    with JobStore.from_url(f"sqlite:///{folder / 'r.db'}") as store:
        summary = run_batch([calls, ROOT / "examples"], store=store, pipeline=rules_pipeline)
        return {suffix: _export(store, summary.job.id, folder / f"results{suffix}")
                for suffix in (".jsonl", ".csv", ".parquet")}


def _export(store: JobStore, job_id: int, path: Path) -> Path:
    export_job(store, job_id, path)
    return path


def _row(group: str, *, overall: float | None = 0.8, answered: bool = True,
         date: str | None = "2024-03-04", **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"transcript_id": f"t-{id(values)}", "channel": "voice",
                           "team": group, "agent": "Ann", "overall": overall,
                           "answered": answered, "date": date,
                           "survey_personal_reception": False, "survey_competent": False,
                           "lead_dialogue_status": "not_answered" if not answered else "met",
                           "acknowledge_feelings_status": "n/a" if answered else "not_answered",
                           "flags": "", "flag_count": 0}
    row.update(values)
    return row


def test_shares_count_every_contact_including_unanswered() -> None:
    rows = [_row("Cards", survey_personal_reception=True, survey_competent=True),
            _row("Cards", survey_competent=True),
            _row("Cards", overall=0.0, answered=False),
            _row("Cards", overall=0.0, answered=False)]
    report = build_report(rows, by="team")
    cards = dict(zip(report.shares.header, report.shares.rows[0], strict=True))
    assert (cards["team"], cards["contacts"], cards["answered"]) == ("Cards", 4, 2)
    assert cards["Personal and pleasant reception"] == 0.25
    assert cards["Agent competent and knowledgeable"] == 0.5
    assert cards["mean overall"] == pytest.approx(0.8)  # over answered contacts only


def test_pass_rate_is_met_over_met_and_missed_and_na_is_apart() -> None:
    rows = [_row("A", lead_dialogue_status="met"), _row("A", lead_dialogue_status="missed"),
            _row("A", lead_dialogue_status="met"), _row("A", overall=0.0, answered=False)]
    report = build_report(rows, by="team")
    header = report.pass_rates.header
    lead = header.index("Leads the customer the right way in the dialogue")
    feelings = header.index("Acknowledges the customer's perception and feeling")
    assert report.pass_rates.rows[0][lead] == pytest.approx(2 / 3)
    assert report.pass_rates.rows[0][feelings] is None  # never needed, never judged
    assert report.not_applicable.rows[0][feelings] == 0.75


def test_groups_are_ordered_by_size_with_unknown_and_total_last() -> None:
    rows = [_row("Small"), _row("Big"), _row("Big"), _row(""), _row("Big")]
    report = build_report(rows, by="team")
    assert [r[0] for r in report.shares.rows] == ["Big", "Small", "(unknown)", ALL]
    assert report.shares.rows[-1][1] == 5


def test_month_groups_and_weekly_trend_come_from_the_date() -> None:
    rows = [_row("A", date="2024-03-04"), _row("A", date="2024-03-20T10:00:00Z"),
            _row("A", date="2024-04-02"), _row("A", date=None)]
    report = build_report(rows, by="month")
    assert [r[0] for r in report.shares.rows] == ["2024-03", "2024-04", "(unknown)", ALL]
    assert report.trend_unit == "week"
    assert [r[0] for r in report.trend.rows] == ["2024-W10", "2024-W12", "2024-W14"]
    long = build_report([_row("A", date="2024-01-10"), _row("A", date="2024-09-01")])
    assert long.trend_unit == "month"
    assert [r[0] for r in long.trend.rows] == ["2024-01", "2024-09"]


def test_worst_conversations_are_the_lowest_answered_with_their_evidence() -> None:
    rows = [_row("A", overall=0.9),
            _row("A", overall=0.1, transcript_id="bad", lead_dialogue_status="missed",
                 lead_dialogue_evidence="turn 0 agent: Yeah?", flags="low_overall;low_overall"),
            _row("A", overall=0.0, answered=False, transcript_id="unanswered"),
            _row("A", overall=0.4, transcript_id="meh")]
    report = build_report(rows, worst=2)
    assert [w.transcript_id for w in report.worst] == ["bad", "meh"]
    assert report.worst[0].missed == (
        ("Leads the customer the right way in the dialogue", "turn 0, agent", "Yeah?"),)
    assert report.worst[0].flags == ("low_overall",)


def test_group_of_reads_metadata_columns() -> None:
    assert group_of({"metadata_team": "Cards"}, "team") == "Cards"
    assert group_of({"date": "not a date"}, "month") == "(unknown)"


def test_bad_group_and_empty_results_say_what_is_expected() -> None:
    with pytest.raises(ConfigError, match="--by must be one of agent, team, channel, month, "
                                          "participant, industry, got 'weekday'"):
        build_report([_row("A")], by="weekday")
    with pytest.raises(InputError, match="the results hold no rows"):
        build_report([])


def test_every_results_format_gives_the_same_report(results: dict[str, Path]) -> None:
    reports = {s: build_report(read_results(p), by="team") for s, p in results.items()}
    first = reports[".jsonl"]
    rows = len(results[".jsonl"].read_text().splitlines())
    assert first.contacts == rows > 100
    assert first.answered < first.contacts
    for report in reports.values():
        assert report.shares == first.shares
        assert report.pass_rates == first.pass_rates
        assert report.histogram == first.histogram
        assert [w.transcript_id for w in report.worst] == [w.transcript_id for w in first.worst]


def test_reading_a_wrong_results_file_says_where(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"results must be a \.jsonl, \.csv, \.parquet file"):
        list(read_results(tmp_path / "results.xlsx"))
    with pytest.raises(InputError, match="no such results file"):
        list(read_results(tmp_path / "missing.jsonl"))
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"criteria": []}\n{"criteria": \n')
    with pytest.raises(InputError, match=r"broken\.jsonl:2: broken JSON"):
        list(read_results(broken))


def test_html_is_self_contained_and_escapes_quotes(results: dict[str, Path]) -> None:
    rows = list(read_results(results[".csv"]))
    rows[0] = {**rows[0], "overall": 0.0, "lead_dialogue_status": "missed",
               "lead_dialogue_evidence": "turn 2 agent: <script>alert(1)</script>"}
    page = render_html(build_report(rows, by="agent"))
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page
    assert "@import" not in page
    assert page.count("<svg class=\"chart\"") == 4
    assert 'id="share-table"' in page


def test_tables_export_to_xlsx_and_csv(results: dict[str, Path], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    tables = report_tables(build_report(read_results(results[".jsonl"]), by="channel"))
    assert set(tables) == {"shares", "pass_rates", "not_applicable", "trend", "flags", "worst"}
    workbook = load_workbook(write_tables_xlsx(tables, tmp_path / "qa.xlsx"))
    shares = workbook["shares"]
    assert shares["A1"].value == "channel"
    assert shares["D1"].value.endswith("(%)")
    assert shares.cell(shares.max_row, 1).value == ALL
    paths = write_tables_csv(tables, tmp_path / "tables")
    with (tmp_path / "tables" / "shares.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert len(paths) == 6
    assert rows[0][0] == "channel"
    assert rows[-1][0] == ALL


def test_report_command_writes_html_and_spreadsheets(results: dict[str, Path],
                                                     tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    done = CliRunner().invoke(app, ["report", str(results[".parquet"]), "--out", str(out),
                                    "--by", "team", "--xlsx", str(tmp_path / "qa.xlsx"),
                                    "--csv", str(tmp_path / "tables")])
    assert done.exit_code == 0, done.output
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert (tmp_path / "qa.xlsx").is_file()
    assert (tmp_path / "tables" / "trend.csv").is_file()


def test_report_renders_in_a_real_browser(results: dict[str, Path], tmp_path: Path,
                                          browser: Any) -> None:
    out = tmp_path / "report.html"
    out.write_text(render_html(build_report(read_results(results[".jsonl"]), by="team",
                                            title="QA report: synthetic calls")))
    page = browser.new_page(viewport={"width": 1200, "height": 1800})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(out.as_uri())
    assert problems == []
    assert requests == [out.as_uri()]  # nothing fetched beyond the file itself
    table = page.locator("#share-table")
    assert table.is_visible()
    assert table.locator("th").first.inner_text() == "team"
    assert "Personal and pleasant reception" in table.inner_text()
    charts = page.locator("svg.chart")
    assert charts.count() == 4
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert charts.nth(index).is_visible()
        assert box is not None
        assert box["height"] > 100
    assert page.locator("#share-chart circle").count() > 6
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), clip={"x": 0, "y": 0, "width": 1200, "height": 1800})
    page.close()
