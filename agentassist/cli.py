"""The ``agentassist`` command: one thin function per command."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from agentassist.errors import AgentAssistError, ConfigError

app = typer.Typer(
    name="agentassist",
    help="Score contact-centre conversations against the customer-experience checklist.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, highlight=False)

FormatOption = Annotated[
    str | None, typer.Option("--format", help="Input format (default: detected from content).")
]
SpeakerOption = Annotated[
    list[str] | None,
    typer.Option("--speaker", help="Map a speaker name to a role, e.g. --speaker 'Maria=agent'."),
]
MethodOption = Annotated[
    str, typer.Option("--method", help="Detectors: auto (trained models if present), head, rules.")
]
STATUS_STYLE = {"met": "green", "missed": "red", "n/a": "dim", "not_answered": "yellow"}


def main() -> None:
    """Run the command line; errors become one clear message, never a traceback.

    Typer (with the click it bundles since 0.2x) handles its own usage errors and
    ``typer.Exit`` in standalone mode: a wrong option prints the usage and exits 2, a
    command that fails part of its input exits 1. Our own errors and bugs pass through.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app(standalone_mode=True)
    except AgentAssistError as exc:
        err.print(Text(f"error: {exc}"))
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug: say so plainly, keep the traceback for debugging
        if os.environ.get("AGENTASSIST_DEBUG"):
            raise
        err.print(Text(f"internal error: {type(exc).__name__}: {exc}\n"
                       "This is a bug in agentassist. Run again with AGENTASSIST_DEBUG=1 to see "
                       "the traceback, and report it."))
        sys.exit(70)


def parse_speakers(pairs: list[str] | None) -> dict[str, str]:
    """Parse ``NAME=ROLE`` pairs into a speaker mapping."""
    roles: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, role = pair.rpartition("=")
        if (
            not sep
            or not name.strip()
            or role.strip().lower() not in ("agent", "customer", "system")
        ):
            raise ConfigError(
                f"--speaker {pair!r}: expected NAME=ROLE with ROLE agent, customer or system"
            )
        roles[name.strip()] = role.strip().lower()
    return roles


def build_pipeline(method: str = "auto") -> Any:
    """Load resources and the pipeline once for a command."""
    from agentassist.pipeline import MODEL_NAME, Pipeline
    from agentassist.resources import Resources

    resources = Resources.load()
    pipeline = Pipeline.from_resources(resources, method=method)
    if method == "auto" and pipeline.method == "rules":
        err.print(f"note: no trained model {MODEL_NAME} in {resources.models_dir}; using the "
                  "rule detectors (pass --method head to require the trained model)")
    return pipeline


@app.command()
def score(
    files: Annotated[list[Path], typer.Argument(help="Transcript files (any supported format).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON scorecard per line.")] = False,
    rubric: Annotated[Path | None, typer.Option("--rubric", help="A rubric YAML file.")] = None,
    input_format: FormatOption = None,
    speaker: SpeakerOption = None,
    method: MethodOption = "auto",
) -> None:
    """Score transcripts against the checklist: a table per transcript, or JSON."""
    from agentassist.readers import read_transcripts
    from agentassist.rubric import load_rubric
    from agentassist.scoring import score as score_transcript

    checklist = load_rubric(rubric)
    roles = parse_speakers(speaker)
    pipeline = build_pipeline(method)
    failed = 0
    for path in files:
        try:
            for transcript in read_transcripts(path, format=input_format, speaker_roles=roles):
                scorecard = score_transcript(transcript, pipeline.analyse(transcript), checklist)
                if as_json:
                    sys.stdout.write(json.dumps(scorecard.to_json(), ensure_ascii=False) + "\n")
                else:
                    print_scorecard(scorecard)
        except AgentAssistError as exc:
            failed += 1
            err.print(Text(f"error: {exc}"))
    if failed:
        err.print(f"{failed} of {len(files)} file(s) could not be scored")
        raise typer.Exit(1)


def print_scorecard(scorecard: Any) -> None:
    """Print one scorecard as a readable table with the quoted evidence."""
    head = Text()
    head.append(f"{scorecard.transcript_id}", style="bold")
    head.append(f"  {scorecard.channel}, {scorecard.language}  overall ")
    head.append(f"{scorecard.overall:.2f}", style="bold")
    head.append(f"  ({scorecard.rubric})", style="dim")
    out.print(head)
    table = Table(show_lines=True, expand=False)
    table.add_column("criterion", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("score", justify="right")
    table.add_column("evidence and reason", max_width=90)
    for result in scorecard.criteria:
        cell = Text()
        for ev in result.evidence:
            cell.append(f"[turn {ev.turn} {ev.speaker}, {ev.behaviour} {ev.confidence:.2f}] ")
            cell.append(f"\u201c{ev.quote}\u201d\n", style="italic")
        cell.append(result.reason, style="dim")
        value = "-" if result.score is None else f"{result.score:.2f}"
        table.add_row(result.id, Text(result.status.value, style=STATUS_STYLE[result.status.value]),
                      value, cell)
    out.print(table)
    if scorecard.flags:
        for flag in scorecard.flags:
            where = f"turn {flag.turn}" if flag.turn is not None else "conversation"
            out.print(Text(f"  flag {flag.id} ({where}): {flag.reason}", style="yellow"))
    if scorecard.survey:
        answers = ", ".join(f"{k.replace('_', ' ')} {'yes' if v else 'no'}"
                            for k, v in scorecard.survey.items())
        out.print(Text(f"  survey (estimated): {answers}", style="dim"))
    out.print()


@app.command()
def label(
    input_file: Annotated[Path, typer.Argument(help="Labelled-turn JSONL (DESIGN.md).")],
    output: Annotated[Path, typer.Option("--out", help="Where to write the labelled JSONL.")],
    method: MethodOption = "auto",
) -> None:
    """Add turn-level confidences and decisions to every record of a labelled-turn file."""
    from agentassist.labelled import LabelStats, read_labelled, write_record
    from evaluation.turns import label_records, labelled_output

    pipeline = build_pipeline(method)
    stats = LabelStats()
    count = 0
    with output.open("w", encoding="utf-8") as handle:
        for record, analysis in label_records(pipeline, read_labelled(input_file, stats)):
            write_record(handle, labelled_output(record, analysis))
            count += 1
    err.print(f"labelled {count} turns -> {output}")
    if stats.unknown_labels:
        err.print(f"note: {stats.unknown_labels} labels outside the vocabulary were carried "
                  f"through unevaluated ({', '.join(sorted(stats.unknown_names or ()))})")


@app.command()
def evaluate(
    input_file: Annotated[Path, typer.Argument(help="Labelled-turn JSONL with labels.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
    method: MethodOption = "auto",
    resamples: Annotated[
        int, typer.Option("--resamples", min=0,
                          help="Bootstrap resamples for the 95% intervals of F1 and PR-AUC "
                               "(whole conversations when every record has a "
                               "conversation_id; 0 skips them).")
    ] = 1000,
) -> None:
    """Report precision, recall, F1, PR-AUC, kappa and calibration per behaviour."""
    from evaluation.turns import evaluate_file

    result = evaluate_file(build_pipeline(method), input_file, resamples=resamples)
    if result.ignored_labels:
        err.print(f"note: {result.ignored_labels} labels outside the vocabulary were ignored "
                  f"({', '.join(result.ignored_names)})")
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
        return
    table = Table(title=f"{input_file.name}: {result.records} turns ({result.method} detectors)")
    columns = ["behaviour", "n", "pos", "P", "R", "F1", "PR-AUC", "kappa", "ECE"]
    if resamples:
        columns[6:6] = ["F1 95% CI"]
        columns[8:8] = ["PR-AUC 95% CI"]
    for column in columns:
        table.add_column(column, justify="left" if column == "behaviour" else "right")
    for name, m in result.metrics.items():
        cells = [name, f"{m['n']:.0f}", f"{m['positives']:.0f}", f"{m['precision']:.3f}",
                 f"{m['recall']:.3f}", f"{m['f1']:.3f}", f"{m['pr_auc']:.3f}",
                 f"{m['kappa']:.3f}", f"{m['ece']:.3f}"]
        if resamples:
            cells[6:6] = ["{:.3f}–{:.3f}".format(*m["f1_ci"])]
            cells[8:8] = ["{:.3f}–{:.3f}".format(*m["pr_auc_ci"])]
        table.add_row(*cells)
    out.print(table)
    if resamples:
        err.print(f"intervals: {resamples} bootstrap resamples of "
                  f"{result.intervals['resampled']}")


@app.command()
def train(
    feedback: Annotated[
        list[Path] | None,
        typer.Option("--feedback", help="Trainers' corrections (labelled-turn JSONL) to add."),
    ] = None,
    models_dir: Annotated[
        Path | None, typer.Option("--models-dir", help="Where to write the models.")
    ] = None,
    corpus: Annotated[
        Path | None, typer.Option("--corpus", help="Folder of labelled conversations.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Use only the first N conversations (quick runs).")
    ] = None,
    finetune: Annotated[
        bool, typer.Option("--finetune/--no-finetune",
                           help="Fine-tune the encoder's top layers first and ship them as int8 "
                                "ONNX beside the heads (default, as the shipped model), or "
                                "train the heads on the published encoder (faster).")
    ] = True,
) -> None:
    """Rebuild the behaviour models in models/ from the project's labelled data."""
    import time

    from agentassist.corpus import corpus_dir
    from agentassist.pipeline import MODEL_NAME
    from agentassist.resources import default_models_dir
    from agentassist.training import train as run_training

    started = time.monotonic()
    target = models_dir or default_models_dir()
    result = run_training(
        models_dir=target, corpus=corpus or corpus_dir(), feedback=list(feedback or []),
        limit=limit, finetune_encoder=finetune,
        progress=lambda msg: err.print(f"[{time.monotonic() - started:6.1f}s] {msg}"),
    )
    table = Table(title="held-out test split (turn level)")
    for column in ("behaviour", "n", "pos", "P", "R", "F1", "PR-AUC", "ECE", "threshold"):
        table.add_column(column, justify="left" if column == "behaviour" else "right")
    for name, m in result.test.items():
        table.add_row(name, f"{m['n']:.0f}", f"{m['positives']:.0f}", f"{m['precision']:.3f}",
                      f"{m['recall']:.3f}", f"{m['f1']:.3f}", f"{m['pr_auc']:.3f}",
                      f"{m['ece']:.3f}", f"{result.heads.threshold(name):.3f}")
    out.print(table)
    macro = sum(m["f1"] for m in result.test.values()) / max(len(result.test), 1)
    out.print(f"macro F1 (test) {macro:.3f}; wrote {target / MODEL_NAME} "
              f"in {time.monotonic() - started:.0f}s")


@app.command("corpus")
def corpus_command(
    output: Annotated[
        Path | None,
        typer.Option("--out", help="Write train/validation/test labelled-turn JSONL here."),
    ] = None,
) -> None:
    """Describe the labelled corpus (variety by industry and channel); optionally export splits."""
    from collections import Counter

    from agentassist.corpus import read_conversations
    from agentassist.training import write_splits

    conversations = list(read_conversations())
    cells: Counter[tuple[str, str]] = Counter()
    turns: Counter[str] = Counter()
    for conv in conversations:
        cells[(conv.industry, conv.channel)] += 1
        for turn in conv.turns:
            turns[turn.role.value] += 1
    table = Table(title=f"{len(conversations)} conversations, {turns['agent']} agent turns, "
                        f"{turns['customer']} customer turns")
    channels = ("voice", "chat", "email")
    table.add_column("industry")
    for channel in channels:
        table.add_column(channel, justify="right")
    for industry in sorted({i for i, _ in cells}):
        table.add_row(industry, *(str(cells[(industry, c)]) for c in channels))
    out.print(table)
    if output is not None:
        from agentassist.resources import Resources

        counts = write_splits(_corpus(), output, encoder=Resources.load().base_encoder)
        out.print(f"wrote {counts} turns to {output}")


def _corpus() -> Path:
    from agentassist.corpus import corpus_dir

    return corpus_dir()


# -- batch (issue 5) -------------------------------------------------------------------


@app.command()
def batch(
    inputs: Annotated[
        list[str], typer.Argument(help="Transcript files, folders or glob patterns (any format).")
    ],
    output: Annotated[
        Path, typer.Option("--out", help="Results file: .jsonl, .csv or .parquet.")
    ],
    engine: Annotated[
        str, typer.Option("--engine", help="Where to score: local (this process), dask or ray.")
    ] = "local",
    rubric: Annotated[Path | None, typer.Option("--rubric", help="A rubric YAML file.")] = None,
    input_format: FormatOption = None,
    speaker: SpeakerOption = None,
    method: MethodOption = "auto",
    database: Annotated[
        str | None,
        typer.Option("--database", help="SQLAlchemy URL (default: AGENTASSIST_DATABASE_URL "
                     "or an SQLite file in your data folder)."),
    ] = None,
    job: Annotated[
        str | None,
        typer.Option("--job", help="Job name (default: derived from inputs and rubric, so the "
                     "same command resumes the same job)."),
    ] = None,
    on_error: Annotated[
        str, typer.Option("--on-error", help="collect: record failures and go on; raise: stop.")
    ] = "collect",
    workers: Annotated[
        int | None, typer.Option("--workers", help="Dask/Ray worker processes (default: cores).")
    ] = None,
    address: Annotated[
        str | None,
        typer.Option("--address", help="Scheduler of an existing Dask or Ray cluster."),
    ] = None,
    chunk_turns: Annotated[
        int, typer.Option("--chunk-turns", help="Turns scored (and stored) together.")
    ] = 1024,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Read files with failures again.")
    ] = False,
) -> None:
    """Score many transcripts into the database (resumable) and write a results file."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from agentassist.batch import export_job, run_batch
    from agentassist.export import check_results_path
    from agentassist.jobs import JobStore
    from agentassist.store import default_database_url

    check_results_path(output)
    if on_error not in ("collect", "raise"):
        raise ConfigError(f"--on-error must be 'collect' or 'raise', got {on_error!r}")
    roles = parse_speakers(speaker)
    url = database or default_database_url()
    store = JobStore.from_url(url)
    columns = (
        TextColumn("[bold]scoring"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task("scoring", total=None, rate="")

        def show(p: Any) -> None:
            rate = (f"{p.scored / p.elapsed:.1f} transcripts/s, {p.turns_per_second:.0f} turns/s"
                    if p.elapsed > 0 else "")
            bar.update(task, total=p.total, completed=p.done,
                       rate=rate + (f", {p.failed} failed" if p.failed else ""))

        summary = run_batch(
            inputs, store=store, job=job, rubric=rubric, input_format=input_format,
            speaker_roles=roles, method=method, engine=engine, address=address,
            workers=workers, on_error=on_error, progress=show,  # type: ignore[arg-type]
            chunk_turns=chunk_turns, retry_failed=retry_failed,
        )
    rows = export_job(store, summary.job.id, output)
    info = summary.job
    err.print(Text(
        f"job {info.name!r}: {summary.scored} scored now, {summary.skipped} already stored, "
        f"{info.failed} failed ({summary.turns_per_second:.0f} turns/s); "
        f"wrote {rows} rows to {output}"))
    if info.failed:
        for failure in summary.failures[:20]:
            where = "" if failure.message.startswith(failure.source) else f"{failure.source}: "
            err.print(Text(f"  failed: {where}{failure.message}", style="red"))
        if info.failed > 20:
            err.print(f"  ... and {info.failed - 20} more (GET /v1/jobs/{info.id}/failures "
                      "in the service lists them all)")
        raise typer.Exit(1)


# -- live service: serve and replay (issue 4) -------------------------------------------


@app.command()
def serve(
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on "
                                             "(default: AGENTASSIST_HOST or 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default: AGENTASSIST_PORT "
                                             "or 8000).")] = None,
    workers: Annotated[int | None, typer.Option("--workers", help="Worker processes, each with "
                                                "its own models (default: AGENTASSIST_WORKERS "
                                                "or 1).")] = None,
) -> None:
    """Run the service: REST scoring, the live WebSocket, the hint panel (/panel), /docs."""
    import uvicorn

    from service.settings import get_settings

    settings = get_settings()
    uvicorn.run(
        "service.main:app",
        host=host or settings.host,
        port=settings.port if port is None else port,
        workers=workers or settings.workers,
        log_level=settings.log_level,
    )


@app.command()
def replay(
    file: Annotated[Path, typer.Argument(help="A transcript file (any supported format).")],
    url: Annotated[str, typer.Option("--url", help="The live WebSocket of a running service.")
                   ] = "ws://127.0.0.1:8000/v1/live",
    speed: Annotated[float, typer.Option("--speed", help="Play X times faster than the real "
                                         "gaps between turns (2 = twice as fast).")] = 1.0,
    pace: Annotated[float, typer.Option("--pace", help="Seconds between turns when the "
                                        "transcript has no times (chat, e-mail).")] = 1.5,
    input_format: FormatOption = None,
    speaker: SpeakerOption = None,
) -> None:
    """Play a transcript into the live service turn by turn, printing hints as they arrive."""
    from agentassist.readers import read_transcripts
    from service.replay import replay as play

    roles = parse_speakers(speaker)
    for transcript in read_transcripts(file, format=input_format, speaker_roles=roles):
        out.print(Text(f"{transcript.id}  ({transcript.channel}, {len(transcript.turns)} turns) "
                       f"-> {url}", style="bold"))
        result = play(transcript, url, speed=speed, pace=pace, on_turn=_print_replayed_turn)
        if result.skipped:
            out.print(Text(f"  {result.skipped} system turn(s) not sent (the live protocol "
                           "takes agent and customer turns)", style="dim"))
        _print_replay_summary(result)


def _print_replayed_turn(replayed: Any) -> None:
    turn = replayed.turn
    when = f"{int(turn.start // 60):02d}:{int(turn.start % 60):02d}" if turn.start is not None \
        else f"#{replayed.index:>3}"
    line = Text(f"[{when}] ")
    line.append(f"{turn.role.value:<9}", style="cyan" if turn.role.value == "agent" else "green")
    line.append(turn.text if len(turn.text) <= 100 else turn.text[:99] + "\u2026")
    out.print(line)
    for detail in replayed.errors:
        out.print(Text(f"        error: {detail}", style="red"))
    for hint in (replayed.analysis or {}).get("hints", []):
        out.print(Text(f"        \u25b6 hint {hint['criterion']} ({hint['kind']}): {hint['text']}",
                       style="bold yellow"))


def _print_replay_summary(result: Any) -> None:
    scorecard = result.scorecard
    hints = sum(len((t.analysis or {}).get("hints", [])) for t in result.turns)
    latencies = sorted(t.latency for t in result.turns if t.analysis is not None)
    if latencies:
        p50 = latencies[len(latencies) // 2] * 1000
        out.print(Text(f"  {hints} hint(s) in {len(result.turns)} turns; analysis latency "
                       f"p50 {p50:.0f} ms, max {latencies[-1] * 1000:.0f} ms", style="dim"))
    if scorecard is None:
        err.print("no scorecard came back")
        raise typer.Exit(1)
    out.print(Text(f"scorecard {scorecard['transcript_id']}: overall {scorecard['overall']:.2f}",
                   style="bold"))
    for criterion in scorecard["criteria"]:
        value = "-" if criterion["score"] is None else f"{criterion['score']:.2f}"
        line = Text(f"  {criterion['id']:<22}")
        line.append(f"{criterion['status']:<13}", style=STATUS_STYLE.get(criterion["status"], ""))
        line.append(value)
        out.print(line)
    for flag in scorecard.get("flags", []):
        where = f"turn {flag['turn']}" if flag["turn"] is not None else "conversation"
        out.print(Text(f"  flag {flag['id']} ({where})", style="yellow"))
    out.print()


# -- trainer review: users, review-import, export-feedback, agreement ---------------------------

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL of the review database (default: "
                 "AGENTASSIST_DATABASE_URL, else an SQLite file in the user's data folder)."),
]
user_app = typer.Typer(help="Manage who may use the review pages and API (no default user).",
                       no_args_is_help=True)
app.add_typer(user_app, name="user")


def _review_store(url: str | None) -> Any:
    from agentassist.reviews import ReviewStore

    return ReviewStore.from_url(url)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line.strip():
            raise ConfigError("--password-stdin: standard input was empty; pipe the password "
                              "in, e.g. `printf '%s\\n' \"$PW\" | agentassist user add ...`")
        return line.rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="The user's sign-in name.")],
    role: Annotated[str, typer.Option("--role", help="trainer, qa_lead or agent.")],
    agent_id: Annotated[
        str | None,
        typer.Option("--agent-id", help="Agents: the agent id their conversations carry "
                     "(metadata 'agent'; default: NAME)."),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Add a user; the password is prompted for (or read with --password-stdin)."""
    from agentassist.auth import check_password, check_role

    check_role(role)
    password = _read_password(password_stdin)
    check_password(password)
    store = _review_store(database_url)
    try:
        store.add_user(name, role, password, agent_id=agent_id)
    finally:
        store.close()
    err.print(f"added {role} {name!r}")


@user_app.command("password")
def user_password(
    name: Annotated[str, typer.Argument(help="The user's sign-in name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Change a user's password (and sign them out of the pages)."""
    password = _read_password(password_stdin)
    store = _review_store(database_url)
    try:
        store.set_password(name, password)
    finally:
        store.close()
    err.print(f"changed the password of {name!r}")


@user_app.command("token")
def user_token(
    name: Annotated[str, typer.Argument(help="The user's sign-in name.")],
    database_url: DatabaseOption = None,
) -> None:
    """Print a new API token for NAME (shown once; send it as 'Authorization: Bearer ...')."""
    store = _review_store(database_url)
    try:
        token = store.issue_token(name)
    finally:
        store.close()
    sys.stdout.write(token + "\n")
    err.print("keep this token secret; it is not shown again "
              f"('agentassist user revoke-tokens {name}' withdraws it)")


@user_app.command("revoke-tokens")
def user_revoke_tokens(
    name: Annotated[str, typer.Argument(help="The user's sign-in name.")],
    database_url: DatabaseOption = None,
) -> None:
    """Withdraw every API token of NAME."""
    store = _review_store(database_url)
    try:
        count = store.revoke_tokens(name)
    finally:
        store.close()
    err.print(f"revoked {count} token(s) of {name!r}")


@user_app.command("list")
def user_list(database_url: DatabaseOption = None) -> None:
    """List the users and their roles."""
    store = _review_store(database_url)
    try:
        users = store.users()
    finally:
        store.close()
    table = Table(title=f"{len(users)} user(s)")
    for column in ("name", "role", "agent id", "created"):
        table.add_column(column)
    for user in users:
        table.add_row(user.name, user.role, user.agent_id or "",
                      user.created_at.strftime("%Y-%m-%d %H:%M"))
    out.print(table)


@app.command("review-import")
def review_import(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Transcript files to score and queue.")
    ] = None,
    job: Annotated[
        str | None, typer.Option("--job", help="Queue a stored batch job's results instead.")
    ] = None,
    include_unflagged: Annotated[
        bool, typer.Option("--all", help="Queue unflagged conversations too.")
    ] = False,
    source: Annotated[
        str | None, typer.Option("--source", help="A label for this import (default: the file).")
    ] = None,
    rubric: Annotated[Path | None, typer.Option("--rubric", help="A rubric YAML file.")] = None,
    input_format: FormatOption = None,
    speaker: SpeakerOption = None,
    method: MethodOption = "auto",
    database_url: DatabaseOption = None,
) -> None:
    """Score transcripts and put the flagged ones into the trainers' review queue."""
    from agentassist.readers import read_transcripts
    from agentassist.reviews import import_batch_job
    from agentassist.rubric import load_rubric
    from agentassist.scoring import score as score_transcript

    if not files and job is None:
        raise ConfigError("review-import: give transcript FILES to score, or --job NAME to "
                          "queue a stored batch job's results")
    store = _review_store(database_url)
    added = already = unflagged = failed = 0
    try:
        if job is not None:
            result = import_batch_job(store, int(job) if job.isdigit() else job,
                                      include_unflagged=include_unflagged)
            added, already, unflagged = len(result.added), result.already_queued, result.unflagged
        if files:
            checklist = load_rubric(rubric)
            roles = parse_speakers(speaker)
            pipeline = build_pipeline(method)
            for path in files:
                try:
                    pairs = [(t, score_transcript(t, pipeline.analyse(t), checklist))
                             for t in read_transcripts(path, format=input_format,
                                                       speaker_roles=roles)]
                    result = store.import_scorecards(pairs, source=source or str(path),
                                                     include_unflagged=include_unflagged)
                except AgentAssistError as exc:
                    failed += 1
                    err.print(Text(f"error: {exc}"))
                    continue
                added += len(result.added)
                already += result.already_queued
                unflagged += result.unflagged
    finally:
        store.close()
    hint = "" if include_unflagged else " (--all queues them)"
    err.print(f"queued {added} conversation(s) for review; {already} already queued, "
              f"{unflagged} unflagged not queued{hint}")
    if failed:
        err.print(f"{failed} file(s) could not be read")
        raise typer.Exit(1)


@app.command("export-feedback")
def export_feedback(
    output: Annotated[Path, typer.Option("--out", help="Where to write the labelled-turn JSONL.")],
    source: Annotated[
        str | None, typer.Option("--source", help="Only conversations imported with this label.")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Write the trainers' turn-level corrections as labelled-turn JSONL (for train --feedback)."""
    from agentassist.labelled import write_record

    store = _review_store(database_url)
    turns = labels = changed = 0
    try:
        with output.open("w", encoding="utf-8") as handle:
            for record in store.feedback_records(source=source):
                write_record(handle, record)
                turns += 1
                labels += len(record["labels"])
                changed += sum(record["machine"][b] != v for b, v in record["labels"].items())
    finally:
        store.close()
    err.print(f"wrote {turns} turn(s) with {labels} trainer decision(s) ({changed} correcting "
              f"the machine, {labels - changed} confirming it) -> {output}")


@app.command("agreement")
def agreement(
    output: Annotated[
        Path | None, typer.Option("--out", help="Write the report: .json, or .md for Markdown.")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Only conversations imported with this label.")
    ] = None,
    rescore: Annotated[
        bool, typer.Option("--rescore", help="Re-analyse the reviewed conversations with the "
                           "current models instead of using the decisions trainers saw.")
    ] = False,
    method: MethodOption = "auto",
    database_url: DatabaseOption = None,
) -> None:
    """Report how far the machine agrees with the trainers, per criterion and behaviour."""
    from evaluation.agreement import agreement_report

    store = _review_store(database_url)
    try:
        report = agreement_report(store, source=source,
                                  pipeline=build_pipeline(method) if rescore else None)
    finally:
        store.close()
    for title, rows, columns in (
        ("criteria (verdict overrides)", report.criteria,
         ("n", "agreed", "overruled", "agreement", "kappa")),
        ("behaviours (turn corrections)", report.behaviours,
         ("n", "agreed", "agreement", "kappa", "tp", "fp", "fn", "tn")),
    ):
        table = Table(title=f"agreement with trainers: {title}; machine {report.machine}")
        table.add_column("name")
        for column in columns:
            table.add_column(column, justify="right")
        for name, m in rows.items():
            table.add_row(name, *(f"{m[c]:.3f}" if c in ("agreement", "kappa") else f"{m[c]:.0f}"
                                  for c in columns))
        out.print(table if rows else Text(f"no {title} reviewed yet", style="dim"))
    if output is not None:
        report.write(output)
        err.print(f"wrote {output}")


# -- report (issue 5) ------------------------------------------------------------------


@app.command()
def report(
    results: Annotated[
        Path, typer.Argument(help="A results file of 'agentassist batch' (.jsonl/.csv/.parquet).")
    ],
    output: Annotated[
        Path | None, typer.Option("--out", help="Write the HTML report here (one file).")
    ] = None,
    by: Annotated[
        str, typer.Option("--by", help="Group by agent, team, channel, month, participant "
                          "or industry.")
    ] = "channel",
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Also write the tables to this XLSX workbook.")
    ] = None,
    csv_folder: Annotated[
        Path | None, typer.Option("--csv", help="Also write the tables as CSV files here.")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="The report's title.")] = None,
) -> None:
    """Write a QA report: share tables, pass rates, score spread, trend, worst calls."""
    from agentassist.export import write_tables_csv, write_tables_xlsx
    from agentassist.reports import build_report, read_results, render_html, report_tables

    if output is None and xlsx is None and csv_folder is None:
        raise ConfigError("nothing to write: pass --out report.html, --xlsx FILE or --csv FOLDER")
    built = build_report(read_results(results), by=by,
                         title=title or f"QA report: {results.name}")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(render_html(built), encoding="utf-8")
        err.print(f"wrote {output} ({built.contacts} contacts by {by})")
    tables = report_tables(built)
    if xlsx is not None:
        write_tables_xlsx(tables, xlsx)
        err.print(f"wrote {xlsx} ({len(tables)} sheets)")
    if csv_folder is not None:
        paths = write_tables_csv(tables, csv_folder)
        err.print(f"wrote {len(paths)} CSV tables to {csv_folder}")
