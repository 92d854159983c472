"""Partial fine-tuning: the top encoder layers and the task heads, trained jointly on cached states.

The embeddings and lower layers stay frozen, so their output for every training text is computed
once (:meth:`PartialTuner.lower_states`) and each epoch only runs the top layers. Texts are
batched by exact token count: a batch then needs no padding and no attention mask, which keeps
the top layers' forward pass identical to the full model's and wastes no compute on padding.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from tqdm import tqdm

from classify.encoder import Encoder, find_layer_stack, normalize_post_text
from classify.heads import TaskHeads

# Encoders whose layer list classify.encoder.find_layer_stack cannot find get heads only.
Judge = Callable[[dict[str, torch.Tensor]], tuple[float, dict[str, Any]]]


@dataclass(frozen=True)
class TaskSet:
    """One task's examples: the cached lower-layer states of each text and its label."""

    states: list[torch.Tensor]
    labels: list[int]
    n_classes: int


class PartialTuner:
    """Splits an encoder into frozen lower layers and ``tuned_layers`` trainable top layers."""

    def __init__(self, encoder: Encoder, tuned_layers: int) -> None:
        self.encoder = encoder
        self._stack = find_layer_stack(encoder.model)
        layers: list[torch.nn.Module] = (
            list(getattr(*self._stack)) if self._stack is not None else []
        )
        self.tuned_layers = min(tuned_layers, len(layers))
        self.frozen_layers = len(layers) - self.tuned_layers
        self.top = torch.nn.ModuleList(layers[self.frozen_layers :])
        names = {module: name for name, module in encoder.model.named_modules()}
        self._top_names = [names[layer] for layer in self.top]
        for parameter in encoder.model.parameters():
            parameter.requires_grad_(False)
        for parameter in self.top.parameters():
            parameter.requires_grad_(True)

    def tuned_state(self) -> dict[str, torch.Tensor]:
        """The top layers' tensors under the encoder's own state-dict names."""
        return {
            f"{name}.{key}": tensor
            for name, layer in zip(self._top_names, self.top, strict=True)
            for key, tensor in layer.state_dict().items()
        }

    @contextmanager
    def _lower_only(self) -> Iterator[None]:
        # The model's own forward pass (embeddings, masks, any model-specific detail) is reused
        # by handing it only the lower layers for a moment.
        if self._stack is None or not self.tuned_layers:
            yield
            return
        parent, attr = self._stack
        full = getattr(parent, attr)
        setattr(parent, attr, torch.nn.ModuleList(list(full)[: self.frozen_layers]))
        try:
            yield
        finally:
            setattr(parent, attr, full)

    def lower_states(
        self, texts: Sequence[str], *, on_batch: Callable[[int], None] | None = None
    ) -> list[torch.Tensor]:
        """Hidden states after the frozen layers, one (tokens, dim) tensor per text, in order."""
        enc = self.encoder
        ids = enc.tokenizer(
            [normalize_post_text(t) for t in texts], truncation=True, max_length=enc.max_length
        )["input_ids"]
        states: list[torch.Tensor] = [torch.empty(0)] * len(texts)
        with torch.inference_mode(), self._lower_only():
            for batch in _same_length_batches([len(i) for i in ids], enc.batch_size):
                input_ids = torch.tensor([ids[i] for i in batch])
                hidden = enc.model(
                    input_ids=input_ids, attention_mask=torch.ones_like(input_ids)
                ).last_hidden_state
                for row, i in enumerate(batch):
                    states[i] = hidden[row].clone()
                if on_batch:
                    on_batch(len(batch))
        return states

    def pool(self, hidden: torch.Tensor) -> torch.Tensor:
        """Sentence vectors from a same-length batch of lower states, as :class:`Encoder` does."""
        for layer in self.top:
            out = layer(hidden)
            hidden = out[0] if isinstance(out, tuple) else out
        return torch.nn.functional.normalize(hidden.mean(dim=1).float(), p=2, dim=1)

    def vectors(self, states: Sequence[torch.Tensor], batch_size: int = 128) -> torch.Tensor:
        """Sentence vectors for many texts (evaluation mode, no gradients), in order."""
        self.top.eval()
        out = torch.empty(len(states), self.encoder.dim)
        with torch.inference_mode():
            for batch in _same_length_batches([len(s) for s in states], batch_size):
                out[batch] = self.pool(torch.stack([states[i] for i in batch]))
        return out

    def round_to_fp16(self) -> None:
        """Round the top layers as they are stored, so that what is measured is what ships."""
        with torch.no_grad():
            for parameter in self.top.parameters():
                parameter.copy_(parameter.half().float())

    def fit(
        self,
        heads: TaskHeads,
        train: dict[str, TaskSet],
        val: dict[str, TaskSet],
        judge: Judge,
        *,
        epochs: int,
        seed: int,
        batch_size: int = 32,
        lr: float = 7e-5,
        head_lr: float = 1e-3,
        progress: bool = True,
    ) -> list[dict[str, Any]]:
        """Train the top layers and heads jointly; keep the epoch that ``judge`` scores best on
        ``val``. Returns one record per epoch (its loss and validation metrics)."""
        generator = torch.Generator().manual_seed(seed)
        weights = {task: _class_weights(s.labels, s.n_classes) for task, s in train.items()}
        rows = [(task, i) for task, s in train.items() for i in range(len(s.labels))]
        lengths = [len(train[task].states[i]) for task, i in rows]
        steps = epochs * len(_same_length_batches(lengths, batch_size))
        optimizer = torch.optim.AdamW(
            [
                {"params": list(self.top.parameters()), "lr": lr},
                {"params": list(heads.parameters()), "lr": head_lr, "weight_decay": 0.0},
            ],
            weight_decay=0.01,
        )
        warmup = max(1, steps // 20)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup)))
        )
        history: list[dict[str, Any]] = []
        best: tuple[float, dict[str, Any]] | None = None
        for epoch in range(1, epochs + 1):
            self.top.train()
            heads.train()
            batches = _same_length_batches(lengths, batch_size, generator=generator)
            total = 0.0
            for batch in tqdm(batches, desc=f"epoch {epoch}/{epochs}", disable=not progress):
                picked = [rows[i] for i in batch]
                vectors = self.pool(torch.stack([train[t].states[i] for t, i in picked]))
                loss = _joint_loss(heads, vectors, picked, train, weights)
                optimizer.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]  # untyped in torch's stubs
                torch.nn.utils.clip_grad_norm_(self.top.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                total += loss.item() * len(batch)
            score, metrics = judge(self.predict(heads, val))
            history.append({"epoch": epoch, "train_loss": round(total / len(rows), 4), **metrics})
            if best is None or score > best[0]:
                state = {"top": self.top.state_dict(), "heads": heads.state_dict()}
                best = (score, copy.deepcopy(state))
        assert best is not None
        self.top.load_state_dict(best[1]["top"])
        heads.load_state_dict(best[1]["heads"])
        return history

    def predict(self, heads: TaskHeads, sets: dict[str, TaskSet]) -> dict[str, torch.Tensor]:
        """Each task's probabilities on its own texts: (n, 3) for sentiment, (n,) otherwise."""
        heads.eval()
        out = {}
        for task, data in sets.items():
            with torch.inference_mode():
                outputs = heads(self.vectors(data.states))
            out[task] = outputs.sentiment if task == "sentiment" else outputs.safety[task]
        return out


def _joint_loss(
    heads: TaskHeads,
    vectors: torch.Tensor,
    picked: list[tuple[str, int]],
    train: dict[str, TaskSet],
    weights: dict[str, torch.Tensor],
) -> torch.Tensor:
    # Each row counts once, weighted by its class's inverse frequency within its own task: the
    # tasks share the encoder in proportion to their data, and no class is drowned out.
    loss = vectors.new_zeros(())
    for task in sorted({t for t, _ in picked}):
        at = torch.tensor([k for k, (t, _) in enumerate(picked) if t == task])
        y = torch.tensor([train[task].labels[i] for t, i in picked if t == task])
        w = weights[task][y]
        if task == "sentiment":
            row_loss = torch.nn.functional.cross_entropy(
                heads.sentiment(vectors[at]), y, reduction="none"
            )
        else:
            row_loss = torch.nn.functional.binary_cross_entropy_with_logits(
                heads.safety[task](vectors[at]).squeeze(-1), y.float(), reduction="none"
            )
        loss = loss + (row_loss * w).sum()
    return loss / len(picked)


def _class_weights(labels: Sequence[int], n_classes: int) -> torch.Tensor:
    counts = torch.bincount(torch.tensor(list(labels)), minlength=n_classes).clamp_min(1).double()
    return (len(labels) / (n_classes * counts)).float()


def _same_length_batches(
    lengths: Sequence[int], size: int, *, generator: torch.Generator | None = None
) -> list[list[int]]:
    """Indices grouped by exact length, in chunks of ``size``; shuffled when given a generator."""
    groups: dict[int, list[int]] = defaultdict(list)
    for i, n in enumerate(lengths):
        groups[n].append(i)
    batches = []
    for n in sorted(groups):
        members = groups[n]
        if generator is not None:
            members = [members[j] for j in torch.randperm(len(members), generator=generator)]
        batches += [members[k : k + size] for k in range(0, len(members), size)]
    if generator is not None:
        batches = [batches[j] for j in torch.randperm(len(batches), generator=generator)]
    return batches
