"""The encoder as a frozen TorchScript graph gives the eager model's vectors, padded or not."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from classify.encoder import Encoder
from classify.graph import FrozenEncoder, freeze_encoder


def test_frozen_graph_embeds_like_the_eager_model_at_any_batch_size_and_length(
    tiny_encoder_dir: Path,
) -> None:
    eager = Encoder.load(str(tiny_encoder_dir), batch_size=3, batch_tokens=40)
    frozen = Encoder.load(str(tiny_encoder_dir), batch_size=3, batch_tokens=40)
    frozen.model = freeze_encoder(frozen.model)
    assert isinstance(frozen.model, FrozenEncoder)
    words = ["love", "great", "sad", "the", "table", "report", "is", "monday", "happy"]
    # Lengths from 1 to 17 words: passes of 1 to 3 posts, most of them padded.
    texts = [" ".join(words[: 1 + i % len(words)] * (1 + i // 9)) for i in range(17)]
    assert torch.allclose(frozen.embed(texts), eager.embed(texts), atol=1e-5)
    assert frozen.dim == eager.dim


def test_a_model_the_tracer_cannot_follow_runs_eagerly(caplog: pytest.LogCaptureFixture) -> None:
    class Untraceable(torch.nn.Module):
        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> object:
            return object()  # not a tensor: tracing fails

    model = Untraceable()
    assert freeze_encoder(model) is model
    assert "runs eagerly" in caplog.text
