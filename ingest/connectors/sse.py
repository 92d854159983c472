"""Server-sent events (``text/event-stream``): lines in, events out.

A small parser of the WHATWG rules, enough for Mastodon's streaming API: ``event``, ``data``
(several lines joined by ``\\n``) and ``id`` fields, a blank line ending an event, comment lines
(``:`` first, Mastodon's heartbeats) ignored. The caller splits the body into lines (httpx's
``iter_lines`` does, across chunk boundaries).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event: its type (``message`` when unnamed), data lines joined by ``\\n``."""

    event: str
    data: str
    id: str | None = None


class SseParser:
    """Lines of a ``text/event-stream`` in, events out (the WHATWG rules that Mastodon uses)."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None

    def feed(self, line: str) -> ServerSentEvent | None:
        """Take one line (without its line break); an event when a blank line ends one."""
        if not line:
            event, data = self._event, self._data
            self._event, self._data = "", []
            if not data:
                return None  # a blank line after a comment or a lone `event:`: nothing to say
            return ServerSentEvent(event=event or "message", data="\n".join(data), id=self._id)
        if line.startswith(":"):
            return None  # a comment: Mastodon's heartbeat
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value
        return None
