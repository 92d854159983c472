"""Numeric precision and runtime of the encoder at inference time.

Scoring is the expensive step of the pipeline, and on a CPU the precision decides most of its
speed. ``auto`` picks:

- bf16 in torch where the CPU multiplies bf16 natively (AMX or AVX-512 BF16: oneDNN then runs
  the matrix products at several times the fp32 rate);
- elsewhere (AVX2-only CPUs such as AMD EPYC Zen 3), int8 in ONNX Runtime: the MatMul weights
  quantized once per output channel, activations on the fly. It is faster than fp32 there and
  keeps the validation scores (see ``classify/MODEL_CARD.md``), where torch's own dynamic int8
  loses about one sentiment label in ten;
- fp32 in torch where ONNX Runtime is not installed.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Literal

import torch

from classify.settings import Precision, Runtime

log = logging.getLogger(__name__)

Resolved = tuple[Literal["torch", "onnxruntime"], Literal["fp32", "bf16", "int8"]]


def native_bf16() -> bool:
    """Whether this CPU does bf16 matrix products in hardware."""
    amx = getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    avx512_bf16 = getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported() and (amx() or avx512_bf16()))


def resolve(runtime: Runtime, precision: Precision) -> Resolved:
    """The runtime and precision that ``auto`` settings stand for on this machine."""
    bf16 = precision == "bf16" or (precision == "auto" and native_bf16())
    if runtime == "auto":
        has_onnxruntime = importlib.util.find_spec("onnxruntime") is not None
        runtime = "torch" if bf16 or not has_onnxruntime else "onnxruntime"
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
