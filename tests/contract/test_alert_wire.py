"""The alert message on ``ugc.alerts``: it round-trips, and what it refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from contract import (
    ALERTS_TOPIC,
    ALL_TOPICS,
    Alert,
    AlertKind,
    AlertPost,
    PoisonMessage,
    decode,
    encode,
)

WHEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def alert_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "kind": "fired",
        "alert_id": "trailpeak:2026-11-20T12:00:00+00:00",
        "hashtag": "#TrailPeak",
        "window_start": WHEN.isoformat(),
        "window_end": WHEN.replace(minute=15).isoformat(),
        "negative_count": 31,
        "expected_negative": 2.5,
        "total_count": 40,
        "negative_share": 0.775,
        "baseline_share": 0.1,
        "score": 0.99,
        "peak_score": 0.99,
        "reasons": ["negative volume"],
        "top_posts": [
            {
                "post_id": "mastodon:1",
                "text": "recall?!",
                "permalink": "https://example.social/@a/1",
                "network": "mastodon",
                "engagement": 120,
                "followers": 5000,
            }
        ],
        "top_terms": ["recall", "broken"],
        "networks": {"mastodon": 31},
        "post_ids": ["mastodon:1"],
        "sequence": 1,
        "detected_at": WHEN.isoformat(),
    }
    return {**fields, **overrides}


def test_the_alerts_topic_is_created_with_the_others() -> None:
    assert ALERTS_TOPIC == "ugc.alerts"
    assert ALERTS_TOPIC in ALL_TOPICS


def test_an_alert_round_trips_through_its_bytes() -> None:
    alert = Alert.model_validate(alert_fields())

    decoded = decode(Alert, encode(alert))

    assert decoded == alert
    assert decoded.kind is AlertKind.FIRED
    assert decoded.hashtag == "trailpeak"
    assert decoded.top_posts == [
        AlertPost(
            post_id="mastodon:1",
            text="recall?!",
            permalink="https://example.social/@a/1",
            network="mastodon",
            engagement=120,
            followers=5000,
        )
    ]


def test_an_alert_from_a_producer_without_post_ids_decodes() -> None:
    fields = alert_fields()
    del fields["post_ids"]
    assert decode(Alert, json.dumps(fields).encode()).post_ids == []


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"kind": "exploded"}, "kind"),
        ({"schema_version": 99}, "unsupported schema_version"),
        ({"score": 1.5}, "score"),
        ({"hashtag": "#"}, "hashtag"),
        ({"top_terms": [str(i) for i in range(11)]}, "top_terms"),
    ],
)
def test_a_malformed_alert_is_poison_with_a_reason(overrides: dict[str, Any], reason: str) -> None:
    with pytest.raises(PoisonMessage, match=reason):
        decode(Alert, json.dumps(alert_fields(**overrides)).encode())
