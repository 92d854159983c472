"""The Slack-compatible format: an incoming-webhook body with Block Kit ``blocks`` and a
``text`` fallback.

Slack renders the blocks and uses ``text`` for notifications; Mattermost and Rocket.Chat show
``text`` (with a plain link), so the fallback carries what a person needs on its own.
"""

from __future__ import annotations

from typing import Any

HEADER_MAX = 150
TEXT_MAX = 3000
FIELD_MAX = 2000
SNIPPET_MAX = 140
TOP_POSTS_SHOWN = 5

ALERT_HEADERS = {
    "alert.fired": ":rotating_light: Negative spike on #{hashtag}",
    "alert.updated": ":rotating_light: Growing: negative spike on #{hashtag}",
    "alert.resolved": ":white_check_mark: Resolved: negative spike on #{hashtag}",
}

Block = dict[str, Any]


def slack_body(payload: dict[str, Any]) -> dict[str, Any]:
    """The incoming-webhook body of one event (``{"type", "timestamp", "data"}``)."""
    event_type = str(payload.get("type", ""))
    data = payload.get("data") or {}
    if event_type in ALERT_HEADERS:
        return _alert_body(event_type, data)
    return _event_body(event_type, data, str(payload.get("timestamp", "")))


def escape(text: str) -> str:
    """Text for Slack mrkdwn: ``&``, ``<`` and ``>`` are control characters there."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _alert_body(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    hashtag = str(data.get("hashtag", "?")).lstrip("#")
    title = ALERT_HEADERS[event_type].format(hashtag=hashtag)
    negative = data.get("negative_count", 0)
    expected = float(data.get("expected_negative") or 0.0)
    share = float(data.get("negative_share") or 0.0)
    baseline = float(data.get("baseline_share") or 0.0)
    queue_url = data.get("queue_url")
    networks = data.get("networks") or {}
    fields = [
        f"*Negative posts*\n{negative} (expected {expected:.1f})",
        f"*Negative share*\n{share:.0%} (baseline {baseline:.0%})",
        f"*Window*\n{data.get('window_start', '?')} to {data.get('window_end', '?')}",
        f"*Status*\n{data.get('status', event_type.removeprefix('alert.'))}",
    ]
    if networks:
        fields.append(
            "*Networks*\n" + ", ".join(f"{escape(str(k))}: {v}" for k, v in networks.items())
        )
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(title, HEADER_MAX)}},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": _cut(f, FIELD_MAX)} for f in fields],
        },
    ]
    top = _top_posts(data.get("top_posts") or [])
    if top:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": top}})
    context = [f"score {float(data.get('score') or 0.0):.2f}"]
    if data.get("top_terms"):
        context.append("terms: " + ", ".join(escape(str(t)) for t in data["top_terms"][:10]))
    if data.get("id"):
        context.append(f"incident {escape(str(data['id']))}")
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]}
    )
    if queue_url:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open the queue"},
                        "url": str(queue_url),
                    }
                ],
            }
        )
    text = f"{title}: {negative} negative posts (expected {expected:.1f}), {share:.0%} negative"
    if queue_url:
        text += f" · queue: {queue_url}"
    return {"text": _cut(text, TEXT_MAX), "blocks": blocks}


def _top_posts(posts: list[dict[str, Any]]) -> str:
    lines = []
    for post in posts[:TOP_POSTS_SHOWN]:
        snippet = escape(_cut(" ".join(str(post.get("text", "")).split()), SNIPPET_MAX))
        link = post.get("permalink")
        label = snippet or escape(str(post.get("post_id", "post")))
        lines.append(f"• <{link}|{label}>" if link else f"• {label}")
    return _cut("*Most-engaged negative posts*\n" + "\n".join(lines), TEXT_MAX) if lines else ""


def _event_body(event_type: str, data: dict[str, Any], timestamp: str) -> dict[str, Any]:
    summary = summary_of(event_type, data)
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(event_type, HEADER_MAX)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _cut(escape(summary), TEXT_MAX)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(timestamp) or " "}]},
    ]
    return {"text": _cut(f"{event_type}: {summary}", TEXT_MAX), "blocks": blocks}


def summary_of(event_type: str, data: dict[str, Any]) -> str:
    """One line about an event, for people (the Slack text, the local receiver)."""
    if event_type == "post.approved":
        tags = " ".join(f"#{t}" for t in data.get("hashtags") or [])
        where = data.get("permalink") or data.get("post_id")
        return f"post {where} approved by {data.get('actor')} {tags}".strip()
    if event_type in ("rights.granted", "rights.revoked"):
        verb = event_type.removeprefix("rights.")
        channels = ", ".join(data.get("channels") or []) or "no channel"
        return f"rights {verb} for post {data.get('post_id')} ({channels})"
    if event_type.startswith("alert."):
        return (
            f"#{str(data.get('hashtag', '?')).lstrip('#')}: {data.get('negative_count')} "
            f"negative posts, {data.get('status', event_type.removeprefix('alert.'))}"
        )
    if event_type == "webhook.test":
        return str(data.get("message", "test event"))
    return event_type
