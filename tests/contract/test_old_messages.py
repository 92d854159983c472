"""Messages written by the code before the layers (``ugc.contract`` at c65a0c0) decode with
the contract as it is now, and encode back to the same bytes: the wire did not move with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contract import DeadLetter, RawPost, ScoredPost, decode, encode
from contract.wire import _Wire

WRITTEN_BEFORE = json.loads(
    (Path(__file__).with_name("messages_written_before_the_layers.json")).read_text("utf-8")
)


@pytest.mark.parametrize(
    ("name", "schema"),
    [("raw_post", RawPost), ("scored_post", ScoredPost), ("dead_letter", DeadLetter)],
)
def test_a_message_the_old_code_wrote_decodes_and_encodes_to_the_same_bytes(
    name: str, schema: type[_Wire]
) -> None:
    old = WRITTEN_BEFORE[name].encode("utf-8")

    message = decode(schema, old)

    assert encode(message) == old


def test_the_old_dead_letter_still_carries_its_original_bytes_and_key() -> None:
    letter = decode(DeadLetter, WRITTEN_BEFORE["dead_letter"].encode("utf-8"))

    assert letter.original == b"{oops"
    assert letter.key_b64 is not None
    assert letter.source_topic == "ugc.posts.raw"
