"""The two origins of the browser tests: the API under uvicorn, and a "customer site" that embeds
the widget and serves the posts' images (small PNGs built here)."""

from __future__ import annotations

import socket
import struct
import threading
import zlib
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import uvicorn
from fastapi import FastAPI

from tests.conftest import wait_until


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG: enough of an image for the browser to decode and lay out."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"\x00" + bytes(rgb) * width  # filter type 0, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


class ApiServer:
    """``app`` served by uvicorn on a free port, in a thread of this process."""

    def __init__(self, app: FastAPI) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        wait_until(lambda: self._server.started, timeout=20, message="uvicorn to start")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


def site_policy(api_url: str) -> str:
    """The customer site's Content-Security-Policy: strict, so that any inline script, inline
    style or HTML-from-a-string in the widget shows as a violation (a console error). Trusted
    Types make every `innerHTML = string` throw."""
    return (
        f"default-src 'none'; script-src {api_url}; connect-src {api_url}; img-src 'self'; "
        f"style-src 'none'; frame-src {api_url}; require-trusted-types-for 'script'"
    )


class SiteServer:
    """Another origin: ``/widget.html?feed=&layout=&limit=`` embeds the widget,
    ``/framed.html?feed=`` frames the embed page, ``/img/<name>.png`` are the posts' images."""

    IMAGE = png(320, 240, (46, 125, 50))

    def __init__(self) -> None:
        self.api_url = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.answer(self)

            def log_message(self, format: str, *args: object) -> None:
                del format, args  # quiet: pytest shows only what the tests print

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def answer(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        if url.path.startswith("/img/") and url.path.endswith(".png"):
            self._send(request, 200, "image/png", self.IMAGE)
        elif url.path == "/widget.html":
            self._send(request, 200, "text/html; charset=utf-8", self._widget_page(query))
        elif url.path == "/framed.html":
            self._send(request, 200, "text/html; charset=utf-8", self._framed_page(query))
        elif url.path == "/favicon.ico":
            self._send(request, 204, "image/x-icon", b"")
        else:
            self._send(request, 404, "text/plain", b"not found")

    def _send(
        self, request: BaseHTTPRequestHandler, status: int, content_type: str, body: bytes
    ) -> None:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        request.send_header("Cache-Control", "no-store")
        if content_type.startswith("text/html"):
            request.send_header("Content-Security-Policy", site_policy(self.api_url))
        request.end_headers()
        request.wfile.write(body)

    def _widget_page(self, query: dict[str, str]) -> bytes:
        attributes = "".join(
            f' {name}="{escape(query[name])}"' for name in ("feed", "layout", "limit", "api")
            if name in query
        )  # fmt: skip
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>'
            f'<script src="{self.api_url}/widget.js" async></script></head>'
            f"<body><h1>Trail shoes</h1><ugc-feed{attributes}></ugc-feed>"
            '<p id="below">What our customers say, above.</p></body></html>'
        ).encode()

    def _framed_page(self, query: dict[str, str]) -> bytes:
        src = f"{self.api_url}/embed/{escape(query.get('feed', ''))}"
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>'
            f'</head><body><iframe src="{src}" title="Posts" width="900" height="700" '
            'sandbox="allow-popups allow-popups-to-escape-sandbox"></iframe></body></html>'
        ).encode()
