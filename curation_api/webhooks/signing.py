"""The signed JSON format (Standard Webhooks): the body, the secret, and the three headers,
signed by the ``standardwebhooks`` package.

During a rotation's grace period a delivery carries two signatures, space-separated in
``webhook-signature`` as the spec allows, so that a receiver verifies with either secret.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh ``whsec_<base64>`` secret (256 random bits)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def body_of(payload: dict[str, Any]) -> bytes:
    """The bytes of a standard delivery: the event JSON, compact, UTF-8."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def signed_headers(
    event_id: str, timestamp: datetime, body: bytes, secrets: Sequence[str]
) -> dict[str, str]:
    """The Standard Webhooks headers of ``body``, one signature per secret (current first)."""
    # Signed as text: older releases of the package sign only str correctly (the body is
    # UTF-8 JSON, so the bytes signed are the bytes sent).
    text = body.decode()
    signatures = [Webhook(s).sign(event_id, timestamp.astimezone(UTC), text) for s in secrets]
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
