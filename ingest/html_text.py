"""Plain text from the HTML that Mastodon (and the fediverse) puts in a status' ``content``.

The text is what a reader sees in the Mastodon web UI: paragraphs separated by a blank line,
``<br>`` as a newline, links shortened the way Mastodon shows them (the ``invisible`` parts
dropped, an ellipsis where the ``ellipsis`` part was cut), mentions and hashtags as written,
entities unescaped. It is for scoring and search, not for display: nothing here sanitizes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset(
    {"p", "div", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"}
)
_SKIPPED_TAGS = frozenset({"script", "style", "template"})
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")
_PARAGRAPH = "\n\n"


def html_to_text(html: str) -> str:
    """The visible text of an HTML fragment, see the module docstring for the rules."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return parser.text()


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        # One entry per open <span>/<script>/...: what to do when it closes. A stack, because an
        # invisible span may contain spans, and only its own end tag ends the hiding.
        self._open: list[tuple[str, bool, bool]] = []  # (tag, hides text, ends with ellipsis)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = set((dict(attrs).get("class") or "").split())
        if tag in ("br", "li"):
            self._parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self._parts.append(_PARAGRAPH)
        elif tag == "span" or tag in _SKIPPED_TAGS:
            self._open.append(
                (tag, tag in _SKIPPED_TAGS or "invisible" in classes, "ellipsis" in classes)
            )

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self._parts.append(_PARAGRAPH)
            return
        # Close the innermost matching element; unmatched end tags are ignored, as browsers do.
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                _, hides, ellipsis = self._open[index]
                del self._open[index:]
                if ellipsis and not hides and not self._hidden():
                    # Mastodon draws the ellipsis with CSS (`.ellipsis::after`), so it is
                    # not in the HTML; a reader sees it, so the text has it.
                    self._parts.append("…")
                return

    def handle_data(self, data: str) -> None:
        if not self._hidden():
            self._parts.append(_HTML_SPACE.sub(" ", data))

    def _hidden(self) -> bool:
        return any(hides for _, hides, _ in self._open)

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self._parts).split("\n")]
        text = "\n".join(lines)
        return re.sub(r"\n{3,}", _PARAGRAPH, text).strip()
