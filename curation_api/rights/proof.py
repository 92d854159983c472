"""The proof of a grant: what the post, the request, the answer and the terms were at the
moment consent was recorded, as canonical JSON with its SHA-256, and a printable page of it."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import urlsplit

from database.models import Post
from database.rights_models import RightsRequest, TermsVersion

PROOF_FORMAT = 1


def canonical_json(record: dict[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same record always gives the same bytes."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_of(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(record)).hexdigest()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def proof_record(
    *,
    post: Post,
    request: RightsRequest,
    terms: TermsVersion,
    terms_url: str,
    consent: dict[str, Any],
    scope: list[str],
) -> dict[str, Any]:
    """The record stored for a grant (``consent`` is the reply or the manual note)."""
    return {
        "format": PROOF_FORMAT,
        "brand": request.brand_slug,
        "post": {
            "post_id": post.post_id,
            "platform": post.platform,
            "native_id": post.native_id,
            "text": post.text,
            "media_urls": [m.get("url") for m in post.media],
            "author_id": post.author_id,
            "author_handle": post.author_handle,
            "permalink": post.permalink,
            "created_at": _iso(post.created_at),
        },
        "request": {
            "id": request.id,
            "method": request.method.value,
            "text": request.request_text,
            "sent_reply_id": request.sent_reply_id,
            "sent_permalink": request.sent_permalink,
            "sent_at": _iso(request.sent_at),
        },
        "consent": consent,
        "terms": {
            "version": terms.version,
            "sha256": terms.sha256,
            "url": terms_url,
            "text": terms.text,
        },
        "scope": scope,
        "starts_at": _iso(request.starts_at),
        "ends_at": _iso(request.ends_at),
    }


def _link(url: object) -> str:
    # Only http(s) becomes a link; anything else is shown as text.
    text = escape(str(url)) if url is not None else "—"
    if isinstance(url, str) and urlsplit(url).scheme in {"http", "https"}:
        return f'<a href="{escape(url, quote=True)}">{text}</a>'
    return text


def _rows(data: dict[str, Any], links: frozenset[str] = frozenset()) -> str:
    cells = []
    for key, value in data.items():
        if isinstance(value, dict):
            shown = f"<table>{_rows(value, links)}</table>"
        elif key in links:
            shown = _link(value)
        elif isinstance(value, list):
            shown = "<br>".join(escape(str(v)) for v in value) or "—"
        else:
            shown = "—" if value is None else escape(str(value))
        cells.append(f"<tr><th>{escape(key)}</th><td>{shown}</td></tr>")
    return "".join(cells)


def proof_html(*, record: dict[str, Any], sha256: str, state: str, created_at: datetime) -> str:
    """A printable page of a proof. Every value is escaped: post and reply texts are the
    creator's, not ours."""
    record = dict(record)
    terms = dict(record.pop("terms", {}))
    terms_text = str(terms.pop("text", ""))
    links = frozenset({"permalink", "sent_permalink", "url"})
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Rights proof {escape(str(record.get('post', {}).get('post_id', '')))}</title>"
        "</head><body>"
        "<h1>Proof of consent to reuse a post</h1>"
        f"<p>SHA-256 of the record: <code>{escape(sha256)}</code><br>"
        f"Recorded: {escape(created_at.isoformat())}<br>"
        f"State now: <strong>{escape(state)}</strong></p>"
        f"<table>{_rows(record, links)}</table>"
        f"<h2>Terms</h2><table>{_rows(terms, links)}</table>"
        f"<pre>{escape(terms_text)}</pre>"
        "</body></html>"
    )
