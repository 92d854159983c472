"""Numeric precision of the encoder at inference time: fp32, bf16 or int8.

Scoring is the expensive step of the pipeline, and on a CPU the precision decides most of its
speed. ``auto`` picks bf16 where the CPU multiplies bf16 natively (AMX or AVX-512 BF16: oneDNN
then runs the matrix products at several times the fp32 rate), and fp32 elsewhere, where bf16
would be emulated and slower. int8 dynamic quantization is offered for CPUs with neither; it
quantizes the Linear layers' weights once and the activations on the fly.
"""

from __future__ import annotations

import logging
from typing import Literal

import torch

from classify.settings import Precision

log = logging.getLogger(__name__)


def native_bf16() -> bool:
    """Whether this CPU does bf16 matrix products in hardware."""
    amx = getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    avx512_bf16 = getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported() and (amx() or avx512_bf16()))


def resolve_precision(setting: Precision) -> Literal["fp32", "bf16", "int8"]:
    """The precision ``auto`` stands for on this machine; any other setting as given."""
    if setting != "auto":
        return setting
    return "bf16" if native_bf16() else "fp32"


def apply_precision(model: torch.nn.Module, setting: Precision) -> torch.nn.Module:
    """Return ``model`` converted for inference at the requested precision."""
    precision = resolve_precision(setting)
    log.info("encoder precision: %s (setting %s)", precision, setting)
    if precision == "bf16":
        return model.to(torch.bfloat16)
    if precision == "int8":
        quantized: torch.nn.Module = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]  # torch ships it untyped
            model, {torch.nn.Linear}, dtype=torch.qint8
        )
        return quantized
    return model.to(torch.float32)
