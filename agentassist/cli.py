"""The ``agentassist`` command: one thin function per command."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import click
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
    """Run the command line; errors become one clear message, never a traceback."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err.print("aborted")
        sys.exit(130)
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
        if not sep or not name.strip() or role.strip().lower() not in ("agent", "customer", "system"):
            raise ConfigError(
                f"--speaker {pair!r}: expected NAME=ROLE with ROLE agent, customer or system"
            )
        roles[name.strip()] = role.strip().lower()
    return roles


def build_pipeline(method: str = "auto") -> Any:
    """Load resources and the pipeline once for a command."""
    from agentassist.pipeline import Pipeline
    from agentassist.resources import Resources

    return Pipeline.from_resources(Resources.load(), method=method)


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
) -> None:
    """Report precision, recall, F1, PR-AUC, kappa and calibration per behaviour."""
    from evaluation.turns import evaluate_file

    result = evaluate_file(build_pipeline(method), input_file)
    if result.ignored_labels:
        err.print(f"note: {result.ignored_labels} labels outside the vocabulary were ignored "
                  f"({', '.join(result.ignored_names)})")
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
        return
    table = Table(title=f"{input_file.name}: {result.records} turns")
    for column in ("behaviour", "n", "pos", "P", "R", "F1", "PR-AUC", "kappa", "ECE"):
        table.add_column(column, justify="left" if column == "behaviour" else "right")
    for name, m in result.metrics.items():
        table.add_row(name, f"{m['n']:.0f}", f"{m['positives']:.0f}", f"{m['precision']:.3f}",
                      f"{m['recall']:.3f}", f"{m['f1']:.3f}", f"{m['pr_auc']:.3f}",
                      f"{m['kappa']:.3f}", f"{m['ece']:.3f}")
    out.print(table)


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
) -> None:
    """Rebuild the behaviour models in models/ from the project's labelled data."""
    import time

    from agentassist.corpus import corpus_dir
    from agentassist.resources import default_models_dir
    from agentassist.training import train as run_training

    started = time.monotonic()
    target = models_dir or default_models_dir()
    result = run_training(
        models_dir=target, corpus=corpus or corpus_dir(), feedback=list(feedback or []),
        limit=limit,
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
    out.print(f"macro F1 (test) {macro:.3f}; wrote {target / 'behaviours-minilm-v1'} "
              f"in {time.monotonic() - started:.0f}s")


@app.command("corpus")
def corpus_command(
    output: Annotated[
        Path | None, typer.Option("--out", help="Write train/validation/test labelled-turn JSONL here.")
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
        counts = write_splits(_corpus(), output)
        out.print(f"wrote {counts} turns to {output}")


def _corpus() -> Path:
    from agentassist.corpus import corpus_dir

    return corpus_dir()
