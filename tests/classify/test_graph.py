"""The encoder as a frozen TorchScript graph or an ONNX Runtime session gives the eager model's
vectors, padded or not; the settings pick the runtime."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from classify.encoder import Encoder
from classify.graph import (
    FrozenEncoder,
    OnnxEncoder,
    compile_encoder,
    export_onnx,
    freeze_encoder,
    onnx_encoder,
    quantize_onnx,
)
from classify.settings import ClassifySettings

WORDS = ["love", "great", "sad", "the", "table", "report", "is", "monday", "happy"]
# Lengths from 1 to 17 words: passes of 1 to 3 posts, most of them padded.
TEXTS = [" ".join(WORDS[: 1 + i % len(WORDS)] * (1 + i // 9)) for i in range(17)]


def _encoders(path: Path) -> tuple[Encoder, Encoder]:
    eager = Encoder.load(str(path), batch_size=3, batch_tokens=40)
    return eager, Encoder.load(str(path), batch_size=3, batch_tokens=40)


def test_frozen_graph_embeds_like_the_eager_model_at_any_batch_size_and_length(
    tiny_encoder_dir: Path,
) -> None:
    eager, frozen = _encoders(tiny_encoder_dir)
    frozen.model = freeze_encoder(frozen.model)
    assert isinstance(frozen.model, FrozenEncoder)
    assert torch.allclose(frozen.embed(TEXTS), eager.embed(TEXTS), atol=1e-5)
    assert frozen.dim == eager.dim


def test_onnx_runtime_embeds_like_the_eager_model_at_any_batch_size_and_length(
    tiny_encoder_dir: Path,
) -> None:
    eager, exported = _encoders(tiny_encoder_dir)
    exported.model = onnx_encoder(exported.model, threads=1, int8=False)
    assert isinstance(exported.model, OnnxEncoder)
    assert torch.allclose(exported.embed(TEXTS), eager.embed(TEXTS), atol=1e-5)
    assert exported.dim == eager.dim


def test_onnx_int8_stays_close_to_the_eager_model(tiny_encoder_dir: Path, tmp_path: Path) -> None:
    import onnx

    eager, exported = _encoders(tiny_encoder_dir)
    export_onnx(exported.model, tmp_path / "fp32.onnx")
    quantize_onnx(tmp_path / "fp32.onnx", tmp_path / "int8.onnx")
    graph = onnx.load(str(tmp_path / "int8.onnx"))
    assert "MatMulInteger" in {node.op_type for node in graph.graph.node}
    exported.model = onnx_encoder(exported.model, threads=1, int8=True)
    assert isinstance(exported.model, OnnxEncoder)
    assert exported.model.session.get_session_options().intra_op_num_threads == 1
    similarity = (exported.embed(TEXTS) * eager.embed(TEXTS)).sum(dim=1)
    assert float(similarity.min()) > 0.95
    assert float(similarity.mean()) < 1 - 1e-7  # quantized: not the fp32 graph again


@pytest.mark.parametrize(
    ("settings", "expected", "tolerance"),
    [
        ({"model_runtime": "onnxruntime", "model_precision": "fp32"}, OnnxEncoder, 1e-5),
        ({"model_runtime": "onnxruntime"}, OnnxEncoder, 0.05),  # auto: int8
        ({"model_runtime": "onnxruntime", "model_precision": "int8"}, OnnxEncoder, 0.05),
        ({"model_runtime": "torch", "model_precision": "fp32"}, FrozenEncoder, 1e-5),
        ({"model_runtime": "auto", "model_precision": "fp32"}, OnnxEncoder, 1e-5),
        ({"model_runtime": "auto", "model_precision": "bf16"}, FrozenEncoder, 0.05),
    ],
)
def test_the_settings_pick_the_runtime(
    tiny_encoder_dir: Path, settings: dict[str, str], expected: type, tolerance: float
) -> None:
    eager, compiled = _encoders(tiny_encoder_dir)
    compiled.model = compile_encoder(compiled.model, ClassifySettings.model_validate(settings))
    assert isinstance(compiled.model, expected)
    assert torch.allclose(compiled.embed(TEXTS), eager.embed(TEXTS), atol=tolerance)


def test_onnxruntime_refuses_bf16_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="onnxruntime runs fp32 or int8"):
        ClassifySettings(model_runtime="onnxruntime", model_precision="bf16")


def test_a_model_the_tracer_cannot_follow_runs_eagerly(caplog: pytest.LogCaptureFixture) -> None:
    class Untraceable(torch.nn.Module):
        def forward(self, _input_ids: torch.Tensor, _attention_mask: torch.Tensor) -> object:
            return object()  # not a tensor: tracing fails

    model = Untraceable()
    assert freeze_encoder(model) is model
    assert "runs eagerly" in caplog.text
    assert onnx_encoder(model, threads=1, int8=False) is model
    assert "exporting it to ONNX failed" in caplog.text
