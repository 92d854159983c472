"""The demo file the pipeline replays on first run: it must always be a valid, replayable feed.

It is built by ``make demo`` (``tools/demo/``, not shipped); ``tests/tools/test_demo_builder.py``
checks that the builder reproduces it byte for byte.
"""

from __future__ import annotations

import pytest

from contract import RawPost
from ingest.demo import demo_posts_path

BRAND_HASHTAGS = {"brewnorth", "trailpeak", "glowlab"}


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return demo_posts_path().read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def posts(lines: list[str]) -> list[RawPost]:
    return [RawPost.model_validate_json(line) for line in lines]


def test_file_ships_inside_the_ingest_package() -> None:
    assert demo_posts_path().is_file()
    assert demo_posts_path().parts[-3:] == ("ingest", "demo", "demo_posts.jsonl")


def test_has_at_least_500_posts(lines: list[str]) -> None:
    assert len(lines) >= 500


def test_every_line_is_a_valid_raw_post(lines: list[str]) -> None:
    # Validate one by one so that a failure names the offending line.
    for number, line in enumerate(lines, start=1):
        try:
            RawPost.model_validate_json(line)
        except ValueError as exc:
            pytest.fail(f"line {number} is not a valid RawPost: {exc}")


def test_post_ids_are_unique(posts: list[RawPost]) -> None:
    ids = [post.post_id for post in posts]
    assert len(set(ids)) == len(ids)


def test_all_three_brand_hashtags_are_present(posts: list[RawPost]) -> None:
    seen = {tag for post in posts for tag in post.hashtags}
    assert seen >= BRAND_HASHTAGS


def test_sorted_by_created_at(posts: list[RawPost]) -> None:
    created = [post.created_at for post in posts]
    assert created == sorted(created)
