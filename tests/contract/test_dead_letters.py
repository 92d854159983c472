"""Dead letters: how one is built and keyed, the cap on them, and the cap's settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from contract import DeadLetter, decode, encode
from contract.dead_letters import (
    DeadLetterBudget,
    DeadLetterMessage,
    DeadLetterRatioExceeded,
    dead_letter_for,
    dlq_max_ratio_field,
    dlq_window_field,
)
from contract.settings import BaseUgcSettings


def test_a_trickle_of_poison_is_tolerated() -> None:
    budget = DeadLetterBudget(0.5, window=10)
    for _ in range(5):
        budget.record(total=10, poisoned=1)


def test_nothing_is_judged_before_a_full_window_by_default() -> None:
    DeadLetterBudget(0.5, window=10).record(total=9, poisoned=9)


def test_a_flood_raises() -> None:
    budget = DeadLetterBudget(0.5, window=10)
    budget.record(total=5, poisoned=0)
    with pytest.raises(DeadLetterRatioExceeded, match="6 of the last 10"):
        budget.record(total=6, poisoned=6)


# --- building a dead letter ---------------------------------------------------------------------

#: Dead letters as the code before `dead_letter_for` wrote them (classify's, from a consumed
#: record, and a connector's, from an item), byte for byte: they must still decode.
OLD_CLASSIFY_LETTER = (
    b'{"schema_version":1,"reason":"invalid JSON: Expecting value","stage":"classify",'
    b'"source_topic":"ugc.posts.raw","partition":2,"offset":41,"key_b64":"bWFzdG9kb246MQ==",'
    b'"original_b64":"e29vcHM=","failed_at":"2025-03-01T12:00:00Z"}'
)
OLD_INGEST_LETTER = (
    b'{"schema_version":1,"reason":"missing account","stage":"ingest.mastodon",'
    b'"source_topic":null,"partition":null,"offset":null,"key_b64":"bWFzdG9kb246Nw==",'
    b'"original_b64":"eyJpZCI6IjcifQ==","failed_at":"2025-03-01T12:00:00Z"}'
)
WHEN = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_a_dead_letter_of_a_record_keeps_where_it_came_from_and_its_exact_bytes() -> None:
    message = dead_letter_for(
        b"{oops",
        b"mastodon:1",
        reason="invalid JSON",
        stage="classify",
        topic="ugc.posts.raw",
        partition=2,
        offset=41,
    )

    letter = decode(DeadLetter, message.value)
    assert (letter.source_topic, letter.partition, letter.offset) == ("ugc.posts.raw", 2, 41)
    assert (letter.reason, letter.stage, letter.original) == ("invalid JSON", "classify", b"{oops")
    assert message.letter == letter


def test_a_dead_letter_is_produced_under_the_original_key_bytes() -> None:
    key = b"\x00\xffnot text"
    message = dead_letter_for(b"x", key, reason="bad", stage="sink")

    assert message.key == key
    assert DeadLetterMessage.of(message.letter).key == key


def test_a_message_without_a_key_or_value_is_dead_lettered_without_a_key_and_empty() -> None:
    message = dead_letter_for(None, None, reason="tombstone", stage="sink")

    assert message.key is None
    assert DeadLetterMessage.of(message.letter).key is None
    assert decode(DeadLetter, message.value).original == b""


def test_an_item_from_a_network_has_no_topic_partition_or_offset() -> None:
    message = dead_letter_for(b'{"id":"7"}', b"mastodon:7", reason="bad", stage="ingest.mastodon")

    assert (message.letter.source_topic, message.letter.partition, message.letter.offset) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("old", "original", "key"),
    [
        (OLD_CLASSIFY_LETTER, b"{oops", b"mastodon:1"),
        (OLD_INGEST_LETTER, b'{"id":"7"}', b"mastodon:7"),
    ],
)
def test_a_dead_letter_written_by_the_old_code_decodes(
    old: bytes, original: bytes, key: bytes
) -> None:
    letter = decode(DeadLetter, old)

    assert (letter.original, letter.failed_at) == (original, WHEN)
    assert DeadLetterMessage.of(letter).key == key


def test_the_wire_format_of_a_dead_letter_is_the_one_the_old_code_wrote() -> None:
    message = dead_letter_for(
        b"{oops",
        b"mastodon:1",
        reason="invalid JSON: Expecting value",
        stage="classify",
        topic="ugc.posts.raw",
        partition=2,
        offset=41,
    )
    written = message.letter.model_copy(update={"failed_at": WHEN})

    assert encode(written) == OLD_CLASSIFY_LETTER


# --- the cap's settings --------------------------------------------------------------------------


class CapSettings(BaseUgcSettings):
    demo_dlq_max_ratio: float = dlq_max_ratio_field(
        "demo", who="The demo", formerly="UGC_DEMO_OLD_RATIO"
    )
    demo_dlq_window: int = dlq_window_field("demo", default=50, formerly="UGC_DEMO_OLD_WINDOW")


def test_the_cap_settings_read_the_consumer_named_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UGC_DEMO_DLQ_MAX_RATIO", "0.25")
    monkeypatch.setenv("UGC_DEMO_DLQ_WINDOW", "20")

    settings = CapSettings()

    assert (settings.demo_dlq_max_ratio, settings.demo_dlq_window) == (0.25, 20)


def test_the_deprecated_variables_are_still_read_and_the_new_ones_win(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UGC_DEMO_OLD_RATIO", "0.1")
    monkeypatch.setenv("UGC_DEMO_OLD_WINDOW", "7")
    assert (CapSettings().demo_dlq_max_ratio, CapSettings().demo_dlq_window) == (0.1, 7)

    monkeypatch.setenv("UGC_DEMO_DLQ_MAX_RATIO", "0.3")
    assert CapSettings().demo_dlq_max_ratio == 0.3


def test_the_cap_settings_have_defaults_bounds_and_take_their_field_names() -> None:
    assert (CapSettings().demo_dlq_max_ratio, CapSettings().demo_dlq_window) == (0.5, 50)
    assert CapSettings(demo_dlq_max_ratio=1.0).demo_dlq_max_ratio == 1.0
    with pytest.raises(ValidationError):
        CapSettings(demo_dlq_max_ratio=0)
    with pytest.raises(ValidationError):
        CapSettings(demo_dlq_window=0)
