"""A small local webhook receiver (``ugc webhooks listen``): prints each delivery, checks its
Standard Webhooks signature, and answers 204, so that a newcomer sees the whole path and the
tests have a real HTTP peer.

``fail`` answers 503 to the first requests, to watch the worker retry; tests may also change
``status`` (e.g. 410) and ``answer_headers``, or set ``hold`` to keep requests waiting (a
receiver that times out).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from curation_api.webhooks.slack import summary_of

MAX_BODY = 1024 * 1024
HOLD_LIMIT_S = 30.0


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    status: int
    signature: str  # "ok", "INVALID: <why>", or "not checked"

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """An HTTP server on ``host:port`` (port 0: a free one) recording what it receives."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        secret: str | None = None,
        fail: int = 0,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.secret = secret
        self.fail = fail
        self.status = 204
        self.answer_headers: dict[str, str] = {}
        self.hold: threading.Event | None = None
        self.echo = echo
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> WebhookReceiver:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        """Record and print one delivery; the status to answer."""
        if self.hold is not None:
            self.hold.wait(HOLD_LIMIT_S)
        signature = self._verify(headers, body)
        with self._lock:
            if self.fail > 0:
                self.fail -= 1
                status = 503
            else:
                status = self.status
            self.received.append(Received(headers, body, status, signature))
        if self.echo is not None:
            self.echo(describe(headers, body, signature, status))
        return status

    def _verify(self, headers: dict[str, str], body: bytes) -> str:
        if "webhook-signature" not in headers:
            return "not signed (slack format)"
        if not self.secret:
            return "not checked (no --secret)"
        try:
            Webhook(self.secret).verify(body, headers, json_parse=False)
        except WebhookVerificationError as exc:
            return f"INVALID ({exc})"
        return "ok"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = receiver.handle(headers, body)
                self.send_response(status)
                for name, value in receiver.answer_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # handle() prints what matters

        return Handler


def describe(headers: dict[str, str], body: bytes, signature: str, status: int) -> str:
    """Two or three lines about one delivery, for a person watching the receiver."""
    event_id = headers.get("webhook-id", "-")
    try:
        payload = json.loads(body)
    except ValueError:
        return f"{event_id}: not JSON ({len(body)} bytes) -> {status}"
    if isinstance(payload, dict) and "blocks" in payload and "type" not in payload:
        return f"slack {event_id}: {payload.get('text', '')}\n  -> {status}"
    if not isinstance(payload, dict):
        return f"{event_id}: unexpected JSON -> {status}"
    event_type = str(payload.get("type", "?"))
    summary = summary_of(event_type, payload.get("data") or {})
    return f"{event_type} {event_id}: {summary}\n  signature {signature} -> {status}"
