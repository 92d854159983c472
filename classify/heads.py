"""Task heads on top of sentence vectors: sentiment (3-way softmax), offensive and hate (sigmoid).

Stored as ``heads.safetensors`` (the tensors) beside ``heads.json`` (what they mean: labels, the
encoder they were trained on, thresholds, the data and the validation metrics). The heads are
plain linear layers reading the encoder's sentence vector. When training also tuned the encoder's
top layers, their tensors are stored in the same file (fp16, under ``ENCODER_PREFIX`` + the
encoder's own state-dict names) and patched into the base encoder when the heads are loaded.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from classify.encoder import truncate_layers
from contract import Sentiment

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "heads.safetensors"
META_FILE = "heads.json"
# Tensors under this prefix replace the encoder's own; stored as fp16 to halve the committed size.
ENCODER_PREFIX = "encoder:"
DEFAULT_HEADS_DIR = Path(__file__).resolve().parent / "weights"

SENTIMENT_LABELS: tuple[Sentiment, ...] = (
    Sentiment.NEGATIVE,
    Sentiment.NEUTRAL,
    Sentiment.POSITIVE,
)
SAFETY_TASKS: tuple[str, ...] = ("offensive", "hate")


class HeadsError(ValueError):
    """Heads that cannot be used: missing files, or trained for a different encoder size."""


@dataclass(frozen=True)
class HeadsMeta:
    """The contents of ``heads.json``."""

    version: str
    encoder: str
    embedding_dim: int
    preprocessing: str
    sentiment_labels: list[str] = field(default_factory=lambda: [s.value for s in SENTIMENT_LABELS])
    safety_tasks: list[str] = field(default_factory=lambda: list(SAFETY_TASKS))
    # task -> risk level -> probability threshold (None: the task never reaches that level)
    thresholds: dict[str, dict[str, float | None]] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    # GARM category -> [floor, ceiling] of prototype similarity, measured on ordinary posts with
    # this encoder (see classify.garm.calibrate); empty: the fixed values in prototypes.json.
    garm_calibration: dict[str, list[float]] = field(default_factory=dict)
    # Bottom encoder layers the heads were trained on (0: all of them); the encoder is cut to
    # these at load time, before any tuned layers are patched in.
    encoder_layers: int = 0


@dataclass(frozen=True)
class HeadOutputs:
    """Probabilities for a batch: ``sentiment`` is (n, 3) over :data:`SENTIMENT_LABELS`,
    ``safety`` maps each task to (n,)."""

    sentiment: torch.Tensor
    safety: dict[str, torch.Tensor]


class TaskHeads(torch.nn.Module):
    """One linear layer per task; every task reads the same sentence vector."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.sentiment = torch.nn.Linear(dim, len(SENTIMENT_LABELS))
        self.safety = torch.nn.ModuleDict({task: torch.nn.Linear(dim, 1) for task in SAFETY_TASKS})

    def forward(self, vectors: torch.Tensor) -> HeadOutputs:
        """Probabilities from a batch of sentence vectors of shape (n, dim)."""
        return HeadOutputs(
            sentiment=torch.softmax(self.sentiment(vectors), dim=-1),
            safety={
                task: torch.sigmoid(layer(vectors)).squeeze(-1)
                for task, layer in self.safety.items()
            },
        )

    def set_linear(self, task: str, weight: torch.Tensor, bias: torch.Tensor) -> None:
        """Install trained parameters for ``task`` ("sentiment" or a safety task)."""
        layer = self.sentiment if task == "sentiment" else self.safety[task]
        assert isinstance(layer, torch.nn.Linear)
        with torch.no_grad():
            layer.weight.copy_(weight.reshape(layer.weight.shape))
            layer.bias.copy_(bias.reshape(layer.bias.shape))


def save_heads(
    heads: TaskHeads,
    meta: HeadsMeta,
    out_dir: Path,
    *,
    encoder_tensors: dict[str, torch.Tensor] | None = None,
) -> None:
    """Write ``heads.safetensors`` and ``heads.json`` into ``out_dir``; ``encoder_tensors`` are
    tuned encoder weights (state-dict names of the encoder) stored beside the heads."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous().clone() for k, v in heads.state_dict().items()}
    for key, tensor in (encoder_tensors or {}).items():
        value = tensor.detach().contiguous()
        tensors[ENCODER_PREFIX + key] = value.half() if value.is_floating_point() else value.clone()
    weights_path = out_dir / WEIGHTS_FILE
    save_file(tensors, str(weights_path), metadata={"version": meta.version})
    # safetensors writes owner-only files; the heads ship in images run by other users.
    weights_path.chmod(0o644)
    (out_dir / META_FILE).write_text(
        json.dumps(asdict(meta), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def load_meta(heads_dir: Path) -> HeadsMeta:
    """Read ``heads.json`` alone (cheap: no tensors)."""
    path = heads_dir / META_FILE
    if not path.is_file():
        raise HeadsError(f"no {META_FILE} in {heads_dir}: train heads first (`classify train`)")
    data = json.loads(path.read_text(encoding="utf-8"))
    known = set(HeadsMeta.__dataclass_fields__)
    return HeadsMeta(**{k: v for k, v in data.items() if k in known})


def load_heads(
    heads_dir: Path,
    *,
    embedding_dim: int,
    encoder: str | None = None,
    model: torch.nn.Module | None = None,
) -> tuple[TaskHeads, HeadsMeta]:
    """Load heads for an encoder producing ``embedding_dim``-sized vectors, and patch any tuned
    encoder layers stored with them into ``model`` (the base encoder, modified in place).

    A size mismatch is an error (the heads were trained on another encoder); a different
    encoder name of the same size is only logged, because a local copy of the same model has
    a different name.
    """
    meta = load_meta(heads_dir)
    if meta.embedding_dim != embedding_dim:
        raise HeadsError(
            f"heads in {heads_dir} expect {meta.embedding_dim}-dim vectors from "
            f"{meta.encoder!r}, but the encoder in use produces {embedding_dim}-dim vectors: "
            "set the encoder the heads were trained on, or train heads for this encoder"
        )
    if encoder is not None and encoder != meta.encoder:
        logger.warning("heads trained on %r are used with encoder %r", meta.encoder, encoder)
    expected = [s.value for s in SENTIMENT_LABELS]
    if list(meta.sentiment_labels) != expected or list(meta.safety_tasks) != list(SAFETY_TASKS):
        raise HeadsError(
            f"heads in {heads_dir} have labels {meta.sentiment_labels} / {meta.safety_tasks}; "
            f"this build expects {expected} / {list(SAFETY_TASKS)}"
        )
    heads = TaskHeads(embedding_dim)
    weights_path = heads_dir / WEIGHTS_FILE
    if not weights_path.is_file():
        raise HeadsError(f"no {WEIGHTS_FILE} in {heads_dir}")
    tensors = load_file(str(weights_path))
    tuned = {
        k[len(ENCODER_PREFIX) :]: v for k, v in tensors.items() if k.startswith(ENCODER_PREFIX)
    }
    heads.load_state_dict({k: v for k, v in tensors.items() if not k.startswith(ENCODER_PREFIX)})
    if meta.encoder_layers:
        if model is None:
            raise HeadsError(
                f"heads in {heads_dir} use the encoder's bottom {meta.encoder_layers} layers: "
                "pass the encoder"
            )
        truncate_layers(model, meta.encoder_layers)
    if tuned:
        _patch_encoder(model, tuned, heads_dir)
    return heads.eval(), meta


def _patch_encoder(
    model: torch.nn.Module | None, tuned: dict[str, torch.Tensor], heads_dir: Path
) -> None:
    if model is None:
        raise HeadsError(f"heads in {heads_dir} include tuned encoder layers: pass the encoder")
    own = model.state_dict()
    wrong = [k for k, v in tuned.items() if k not in own or own[k].shape != v.shape]
    if wrong:
        raise HeadsError(
            f"heads in {heads_dir} tune encoder weights this encoder does not have "
            f"({wrong[:3]}...): set the encoder the heads were trained on"
        )
    with torch.no_grad():
        for key, value in tuned.items():
            own[key].copy_(value.to(own[key].dtype))


def resolve_heads_dir(setting: str) -> Path:
    """The heads directory for a ``model_heads`` setting: empty means the committed heads."""
    return Path(setting) if setting else DEFAULT_HEADS_DIR
