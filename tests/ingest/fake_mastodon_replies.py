"""A fake Mastodon instance for rights requests: the brand's account replies to statuses and
reads their context, as ``../shared/PLATFORMS.md`` documents.

- ``GET /api/v1/accounts/verify_credentials`` → the token's Account (**exact**: ``id``, ``acct``).
- ``POST /api/v1/statuses`` (``status``, ``in_reply_to_id``, ``visibility``; JSON or form body)
  → 200 with the new Status. Needs the user token (401 ``{"error": ...}`` without). The header
  ``Idempotency-Key``: a repeat of a key answers the status it made the first time, without
  posting again (Mastodon keeps keys about an hour; the fake forever, tests move no further).
  ``in_reply_to_id`` of a deleted or unknown status: 404 ``Record not found`` (*unsure*: the
  documentation only says 404 for "not found"; some versions may answer 422).
  An empty ``status`` without media: 422 ``Validation failed: Text can't be blank``.
- ``GET /api/v1/statuses/{id}/context`` → ``{"ancestors": [...], "descendants": [...]}``
  (**exact**), descendants in thread order (the fake: by id, oldest first); 404 for a deleted
  or unknown status.
- Every answer carries ``X-RateLimit-*`` (ISO reset); a spent window is 429.
- Faults scripted per request, as the other fakes: 503 page, dropped connection, 429.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import httpx

from tests.ingest.fake_api import FakeApi, RateWindow
from tests.ingest.fake_mastodon import make_status

BRAND_ACCOUNT_ID = "7001"
BRAND_ACCT = "brewnorth"
CREATOR_ACCOUNT_ID = "1001"
TOKEN = "brand-token"
_CONTEXT = "/api/v1/statuses/"


class FakeMastodonReplies(FakeApi):
    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        base_url: str = "https://brand.example",
        rate_limit: int = 300,
        window_s: float = 300.0,
    ) -> None:
        super().__init__()
        self.base_url = base_url
        self._now = now
        self._rate = RateWindow(now, rate_limit, window_s)
        self.statuses: dict[str, dict[str, Any]] = {}
        self.deleted: set[str] = set()
        self.idempotency: dict[str, str] = {}
        #: When each status was posted, on the fake clock.
        self.posted_at: list[datetime] = []
        # Ids of their own per fake: commands of other tests on the shared topic miss them.
        self._next_id = 110_000_000_000_000_000 + random.randrange(10**12) * 1000

    # --- content -------------------------------------------------------------------------

    def creator_post(self, *, account_id: str = CREATOR_ACCOUNT_ID) -> dict[str, Any]:
        return self._store(make_status(id=self._id(), account_id=account_id))

    def reply(
        self, to: str, *, account_id: str = CREATOR_ACCOUNT_ID, html: str = "<p>yes #ok</p>"
    ) -> dict[str, Any]:
        acct = BRAND_ACCT if account_id == BRAND_ACCOUNT_ID else f"user{account_id}"
        status = make_status(id=self._id(), account_id=account_id, acct=acct, content=html)
        status["in_reply_to_id"] = to
        return self._store(status)

    def delete(self, status_id: str) -> None:
        self.deleted.add(status_id)

    @property
    def posts(self) -> list[httpx.Request]:
        """Every ``POST /api/v1/statuses`` that reached the API (faults included)."""
        return [r for r in self.requests if r.method == "POST"]

    def rate_limited_next(self, *, reset_in_s: float = 30.0) -> None:
        self._rate.spend(reset_in_s=reset_in_s)

    def fail_next(self, status: int = 503, *, times: int = 1) -> None:
        body = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
        self.fault_next(lambda _: httpx.Response(status, content=body), times=times)

    # --- the HTTP side ---------------------------------------------------------------------

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, transport=self.transport())

    def _respond(self, request: httpx.Request) -> httpx.Response:
        if not self._rate.take():
            return _error(429, "Too many requests", self._rate_headers())
        headers = self._rate_headers()
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _error(401, "The access token is invalid", headers)
        path = request.url.path
        if request.method == "GET" and path == "/api/v1/accounts/verify_credentials":
            return _json({"id": BRAND_ACCOUNT_ID, "acct": BRAND_ACCT}, headers)
        if request.method == "POST" and path == "/api/v1/statuses":
            return self._post(request, headers)
        if request.method == "GET" and path.startswith(_CONTEXT) and path.endswith("/context"):
            return self._context(path.removeprefix(_CONTEXT).removesuffix("/context"), headers)
        return _error(404, "Record not found", headers)

    def _post(self, request: httpx.Request, headers: dict[str, str]) -> httpx.Response:
        key = request.headers.get("Idempotency-Key")
        if key is not None and key in self.idempotency:
            return _json(self.statuses[self.idempotency[key]], headers)
        form = _body(request)
        text, parent = str(form.get("status") or ""), form.get("in_reply_to_id")
        if not text.strip():
            return _error(422, "Validation failed: Text can't be blank", headers)
        if parent is not None and (parent not in self.statuses or parent in self.deleted):
            return _error(404, "Record not found", headers)
        status = self.reply(str(parent), account_id=BRAND_ACCOUNT_ID, html=f"<p>{text}</p>")
        status["visibility"] = str(form.get("visibility") or "public")
        self.posted_at.append(self._now())
        if key is not None:
            self.idempotency[key] = status["id"]
        return _json(status, headers)

    def _context(self, status_id: str, headers: dict[str, str]) -> httpx.Response:
        if status_id not in self.statuses or status_id in self.deleted:
            return _error(404, "Record not found", headers)
        descendants, frontier = [], {status_id}
        for sid in sorted(self.statuses, key=int):
            status = self.statuses[sid]
            if status["in_reply_to_id"] in frontier and sid not in self.deleted:
                descendants.append(status)
                frontier.add(sid)
        return _json({"ancestors": [], "descendants": descendants}, headers)

    def _store(self, status: dict[str, Any]) -> dict[str, Any]:
        self.statuses[status["id"]] = status
        return status

    def _id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def _rate_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self._rate.limit),
            "X-RateLimit-Remaining": str(self._rate.remaining),
            "X-RateLimit-Reset": self._rate.reset_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }


def _body(request: httpx.Request) -> dict[str, Any]:
    if request.headers.get("Content-Type", "").startswith("application/json"):
        body = json.loads(request.content)
        return body if isinstance(body, dict) else {}
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def _json(body: Any, headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(200, content=json.dumps(body).encode(), headers=headers)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"error": message}, headers=headers)
