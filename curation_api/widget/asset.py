"""The widget script (``widget/ugc-feed.js``), served as-is: no build step, so the file in the
repository is the asset."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

# `widget/` sits beside the packages: in a source tree that is the repository's root, in an
# installed wheel it is site-packages (pyproject ships it as the `widget` package data), so the
# same relative path finds it in both.
WIDGET_SCRIPT = Path(__file__).resolve().parents[2] / "widget" / "ugc-feed.js"


@dataclass(frozen=True)
class WidgetScript:
    body: bytes
    etag: str

    def matches(self, if_none_match: str | None) -> bool:
        """Whether ``If-None-Match`` names this version (RFC 9110 §13.1.2: weak comparison,
        so ``W/`` is ignored; ``*`` matches any)."""
        if if_none_match is None:
            return False
        candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in candidates or self.etag in candidates


def read_widget_script(path: Path = WIDGET_SCRIPT) -> WidgetScript:
    """The script's bytes and their strong ETag (a SHA-256 prefix: equal bytes, equal tag)."""
    body = path.read_bytes()
    return WidgetScript(body=body, etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"')


@functools.cache
def widget_script() -> WidgetScript:
    """The served script, read once per process: a deploy replaces the file and restarts."""
    return read_widget_script()
