"""Demo posts that the pipeline replays on first run, so a fresh install has something to show
before any network credentials are configured."""

from __future__ import annotations

from pathlib import Path

DEMO_POSTS_FILENAME = "demo_posts.jsonl"


def demo_posts_path() -> Path:
    """The demo file, found next to this module: ``pyproject.toml`` ships it as package data, so
    the same lookup works in a checkout, an editable install and a wheel."""
    return Path(__file__).with_name(DEMO_POSTS_FILENAME)
