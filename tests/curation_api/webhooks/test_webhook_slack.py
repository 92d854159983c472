"""The Slack-compatible body: a text fallback and valid Block Kit blocks, for alerts (with the
top posts as links and a button to the queue) and for the other events."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from curation_api.webhooks.delivery import DeliveryWorker
from curation_api.webhooks.events import WebhookEventType, emit
from curation_api.webhooks.receiver import WebhookReceiver
from curation_api.webhooks.slack import slack_body
from tests.curation_api.webhooks.webhook_factories import Clock, alert_data, create_endpoint

BLOCK_TYPES = {"header", "section", "context", "actions", "divider"}


def check_blocks(blocks: list[dict[str, Any]]) -> None:
    """Block Kit's limits for what we send: known types, plain-text headers (150), at most
    10 fields of 2000, texts of 3000, elements of the kind each block holds."""
    assert 0 < len(blocks) <= 50
    for block in blocks:
        assert block["type"] in BLOCK_TYPES
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert "text" in block or "fields" in block
            assert len(block.get("fields", [])) <= 10
            for text in [block.get("text"), *block.get("fields", [])]:
                if text is not None:
                    assert text["type"] in ("mrkdwn", "plain_text")
                    assert len(text["text"]) <= (2000 if text is not block.get("text") else 3000)
        if block["type"] == "context":
            assert 0 < len(block["elements"]) <= 10
            assert all(e["type"] in ("mrkdwn", "plain_text", "image") for e in block["elements"])
        if block["type"] == "actions":
            for element in block["elements"]:
                assert element["type"] == "button"
                assert element["text"]["type"] == "plain_text"
                assert element["url"].startswith(("http://", "https://"))


def test_an_alert_carries_counts_top_posts_and_a_queue_button() -> None:
    body = slack_body(
        {"type": "alert.fired", "timestamp": "2026-12-04T10:35:00+00:00", "data": alert_data()}
    )
    assert body["text"].startswith(":rotating_light: Negative spike on #trailpeak: 70 negative")
    assert "queue: http://127.0.0.1:8000/v1/queue?incident=trailpeak" in body["text"]
    blocks = body["blocks"]
    check_blocks(blocks)
    assert [b["type"] for b in blocks] == ["header", "section", "section", "context", "actions"]
    fields = " ".join(f["text"] for f in blocks[1]["fields"])
    assert "70 (expected 3.2)" in fields
    assert "78% (baseline 12%)" in fields
    assert "mastodon: 50" in fields
    top = blocks[2]["text"]["text"]
    # A link per post; the post's own text cannot inject markup.
    assert "<https://example.social/@bob/1|My TrailPeak boots &lt;fell apart&gt; &amp; I" in top
    assert "recall, refund" in blocks[3]["elements"][0]["text"]
    assert blocks[4]["elements"][0]["url"] == "http://127.0.0.1:8000/v1/queue?incident=trailpeak"


def test_a_resolved_alert_says_so_and_long_texts_are_cut() -> None:
    data = alert_data(status="resolved", hashtag="x" * 300, top_posts=[], queue_url=None)
    body = slack_body({"type": "alert.resolved", "timestamp": "t", "data": data})
    check_blocks(body["blocks"])
    assert body["blocks"][0]["text"]["text"].startswith(":white_check_mark: Resolved: ")
    assert body["blocks"][0]["text"]["text"].endswith("…")
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context"]


def test_other_events_get_a_short_section() -> None:
    data = {"post_id": "m:1", "hashtags": ["trail"], "permalink": "https://x/1", "actor": "dana"}
    body = slack_body({"type": "post.approved", "timestamp": "2026-12-04T10:00:00", "data": data})
    check_blocks(body["blocks"])
    assert body["text"] == "post.approved: post https://x/1 approved by dana #trail"
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context"]


def test_a_slack_endpoint_receives_the_slack_body(
    webhook_client: TestClient,
    session: Session,
    clock: Clock,
    receiver: WebhookReceiver,
    worker: DeliveryWorker,
) -> None:
    create_endpoint(webhook_client, url=receiver.url, format="slack")
    emit(session, WebhookEventType.ALERT_FIRED, alert_data(), now=clock.now)
    session.commit()
    assert worker.run_round().delivered == 1
    (got,) = receiver.received
    body = got.json()
    assert set(body) == {"text", "blocks"}
    check_blocks(body["blocks"])
    assert "webhook-signature" not in got.headers
    assert got.headers["webhook-id"].startswith("msg_")
