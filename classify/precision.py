"""Numeric precision and runtime of the encoder at inference time.

Scoring is the expensive step of the pipeline, and on a CPU the precision decides most of its
speed. ``auto`` picks:

- bf16 in torch where the CPU has AMX tiles (Intel Xeon since Sapphire Rapids): oneDNN then
  runs the matrix products at several times the fp32 rate;
- elsewhere, int8 in ONNX Runtime: the MatMul weights quantized once per output channel,
  activations on the fly. It keeps the validation scores (see ``classify/MODEL_CARD.md``), where
  torch's own dynamic int8 loses about one sentiment label in ten. On AVX2-only CPUs (AMD EPYC
  Zen 3) it is faster than fp32; on CPUs with AVX-512 BF16 but no AMX (AMD EPYC Zen 4) it is
  also faster than bf16 (562-606 against 440-451 posts/s there, ``bench/classify_speed.py``),
  as their VNNI int8 dot products do twice the work of their bf16 ones;
- bf16 in torch, where the CPU has AVX-512 BF16, or else fp32, when ONNX Runtime is not
  installed or the runtime is set to ``torch``.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Literal

import torch

from classify.settings import Precision, Runtime

log = logging.getLogger(__name__)

Resolved = tuple[Literal["torch", "onnxruntime"], Literal["fp32", "bf16", "int8"]]


def _cpu_has(probe: str) -> bool:
    return bool(getattr(torch.cpu, probe, lambda: False)())


def native_bf16() -> bool:
    """Whether this CPU does bf16 matrix products in hardware (AMX or AVX-512 BF16)."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()) and (
        _cpu_has("_is_amx_tile_supported") or _cpu_has("_is_avx512_bf16_supported")
    )


def has_amx() -> bool:
    """Whether this CPU has AMX tiles, where bf16 in torch beats every other path."""
    return native_bf16() and _cpu_has("_is_amx_tile_supported")


def has_onnxruntime() -> bool:
    return importlib.util.find_spec("onnxruntime") is not None


def resolve(runtime: Runtime, precision: Precision) -> Resolved:
    """The runtime and precision that ``auto`` settings stand for on this machine."""
    if runtime == "auto":
        wants_torch = precision == "bf16" or (precision == "auto" and has_amx())
        runtime = "torch" if wants_torch or not has_onnxruntime() else "onnxruntime"
    bf16 = precision == "bf16" or (precision == "auto" and native_bf16())
    if precision != "auto":
        return runtime, precision
    if runtime == "onnxruntime":
        return runtime, "int8"
    return runtime, "bf16" if bf16 else "fp32"


def apply_precision(
    model: torch.nn.Module, precision: Literal["fp32", "bf16", "int8"]
) -> torch.nn.Module:
    """Return the torch ``model`` converted for inference at ``precision``."""
    if precision == "bf16":
        return model.to(torch.bfloat16)
    if precision == "int8":
        quantized: torch.nn.Module = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]  # torch ships it untyped
            model, {torch.nn.Linear}, dtype=torch.qint8
        )
        return quantized
    return model.to(torch.float32)
