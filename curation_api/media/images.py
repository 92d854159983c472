"""From an untrusted download to WebP variants: the type is sniffed from the bytes (never
taken from a header), the decoder is the sniffed type's only, Pillow's decompression-bomb
limit is an error rather than a warning, the EXIF orientation is applied and every piece of
metadata (EXIF with its GPS position, ICC, XMP, comments) is left behind."""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageOps

# Magic numbers of the accepted types, with the Pillow format that decodes each.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
    (b"GIF87a", "image/gif", "GIF"),
    (b"GIF89a", "image/gif", "GIF"),
)
WEBP_QUALITY = 80


class UnusableImage(ValueError):
    """The bytes are not an image we accept; the message says why."""


@dataclass(frozen=True)
class Variant:
    width: int
    height: int
    data: bytes


@dataclass(frozen=True)
class Resized:
    content_type: str
    width: int
    height: int
    variants: list[Variant]  # narrowest first


def sniff(data: bytes) -> tuple[str, str]:
    """The content type and Pillow format of ``data`` by its first bytes;
    :class:`UnusableImage` when it is none of JPEG, PNG, GIF, WebP."""
    for magic, content_type, pillow_format in _SIGNATURES:
        if data.startswith(magic):
            return content_type, pillow_format
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "WEBP"
    raise UnusableImage("not a JPEG, PNG, GIF or WebP image (by its content)")


def variant_widths(original: int, widths: Sequence[int]) -> list[int]:
    """The widths to make of an image ``original`` pixels wide: the configured ones it
    reaches (never upscaled), and its own width when it falls short of the widest."""
    chosen = sorted({w for w in widths if w <= original})
    if original < max(widths) and original not in chosen:
        chosen.append(original)
    return chosen


def resize(data: bytes, widths: Sequence[int]) -> Resized:
    """WebP variants of the image in ``data`` at ``widths`` (see :func:`variant_widths`).
    An animated GIF or WebP gives its first frame."""
    content_type, pillow_format = sniff(data)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its pixel limit and twice that; refuse from the limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[pillow_format]) as opened:
                opened.load()
                image = ImageOps.exif_transpose(opened)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UnusableImage(f"too many pixels: {exc}") from None
    except (OSError, SyntaxError, ValueError) as exc:  # what Pillow raises on corrupt data
        raise UnusableImage(f"not a readable {pillow_format} image: {exc}") from None
    image = _without_metadata(image)
    variants = []
    for width in variant_widths(image.width, widths):
        height = max(1, round(image.height * width / image.width))
        scaled = (
            image
            if width == image.width
            else image.resize((width, height), Image.Resampling.LANCZOS)
        )
        out = io.BytesIO()
        scaled.save(out, format="WEBP", quality=WEBP_QUALITY, method=4)
        variants.append(Variant(width=width, height=height, data=out.getvalue()))
    return Resized(content_type, image.width, image.height, variants)


def _without_metadata(image: Image.Image) -> Image.Image:
    # A new image from the pixels alone: nothing of `info` (EXIF, ICC, XMP) can reach the
    # encoder, whatever a Pillow version copies by default.
    mode = "RGBA" if image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info else "RGB"
    pixels = image.convert(mode)
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    return clean
