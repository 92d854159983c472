"""A fake CDN (a local HTTP server whose answers a test sets per path) and images made with
Pillow; keyword-only arguments."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image


def jpeg(*, width: int = 800, height: int = 600, exif_orientation: int | None = None) -> bytes:
    """A JPEG of ``width`` x ``height`` pixels, with an EXIF orientation and a GPS-ish tag."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010E] = "secret description"  # ImageDescription: must not survive
    if exif_orientation is not None:
        exif[0x0112] = exif_orientation
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def png(*, width: int = 200, height: int = 100) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 0, 255, 128)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "image/jpeg"
    location: str | None = None


class FakeCdn:
    """Serves ``answers[path]``; a path may hold a list, answered in turn (the last repeats)."""

    def __init__(self) -> None:
        self.answers: dict[str, list[Answer]] = {}
        self.hits: dict[str, int] = {}
        cdn = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                cdn.hits[self.path] = cdn.hits.get(self.path, 0) + 1
                queue = cdn.answers.get(self.path) or [Answer(status=404, body=b"gone")]
                answer = queue.pop(0) if len(queue) > 1 else queue[0]
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                if answer.location:
                    self.send_header("Location", answer.location)
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeCdn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def serve(self, path: str, *answers: Answer) -> str:
        """Answer ``answers`` at ``path``; its URL."""
        self.answers[path] = list(answers)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"
