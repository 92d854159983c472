"""A fake network served over a real socket, for tests whose client is another process.

:class:`ServedFake` answers HTTP on 127.0.0.1 with a :class:`~tests.ingest.fake_api.FakeApi`'s
answers (one request at a time, as the fake keeps no locks of its own). ``hold(predicate)``
makes the answer to the next matching request wait, after the fake has acted on it, until
:meth:`release`: the way to kill a client between the network doing something and the client
hearing of it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import httpx

from tests.ingest.fake_api import FakeApi

Predicate = Callable[[httpx.Request], bool]
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "content-encoding"}


class ServedFake:
    def __init__(self, fake: FakeApi) -> None:
        self.fake = fake
        self.lock = threading.Lock()
        self.held = threading.Event()
        self._release = threading.Event()
        self._hold: Predicate | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def hold(self, predicate: Predicate) -> None:
        """Answer the next request matching ``predicate`` only after :meth:`release`."""
        self.held.clear()
        self._release.clear()
        self._hold = predicate

    def release(self) -> None:
        self._release.set()

    def __enter__(self) -> ServedFake:
        self._thread.start()
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            response = self.fake.handle(request)
            held = self._hold is not None and self._hold(request)
            if held:
                self._hold = None
        if held:
            self.held.set()
            self._release.wait(timeout=120)
        return response

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        served = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = httpx.Request(
                    self.command,
                    f"{served.url}{self.path}",
                    headers=list(self.headers.items()),
                    content=self.rfile.read(length) if length else b"",
                )
                response = served._answer(request)
                body = response.content
                try:
                    self.send_response(response.status_code)
                    for name, value in response.headers.items():
                        if name.lower() not in _HOP_BY_HOP:
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client died waiting (the point of a hold)

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, format: str, *args: object) -> None:  # noqa: ARG002
                return

        return Handler
