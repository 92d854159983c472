"""RFC 8288 ``Link`` header parsing, by the grammar rather than by pattern matching.

A link target may contain commas and semicolons, and a parameter value may be a quoted string
with escapes; splitting on ``,`` or matching a regular expression gets those wrong.

    Link       = #link-value
    link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param )
    link-param = token BWS [ "=" BWS ( token / quoted-string ) ]
"""

from __future__ import annotations

_WHITESPACE = " \t"
_TOKEN_END = _WHITESPACE + ";,="


def parse_link_header(value: str) -> dict[str, str]:
    """Map each relation type (``rel``, lower-cased) to its target URL.

    A ``rel`` listing several types (``rel="prev previous"``) maps each of them; when a type
    appears twice the first link wins, as RFC 8288 section 3.3 advises. A malformed remainder
    is ignored, keeping the links parsed before it.
    """
    links: dict[str, str] = {}
    scanner = _Scanner(value)
    while True:
        scanner.skip(_WHITESPACE + ",")
        if scanner.done() or not scanner.take("<"):
            return links
        target = scanner.until(">")
        if not scanner.take(">"):
            return links
        params = scanner.params()
        for rel in params.get("rel", "").split():
            links.setdefault(rel.lower(), target.strip())


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def done(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self, char: str) -> bool:
        if self.peek() == char:
            self.pos += 1
            return True
        return False

    def skip(self, chars: str) -> None:
        while not self.done() and self.text[self.pos] in chars:
            self.pos += 1

    def until(self, stops: str) -> str:
        start = self.pos
        while not self.done() and self.text[self.pos] not in stops:
            self.pos += 1
        return self.text[start : self.pos]

    def quoted(self) -> str:
        """A quoted-string after its opening quote: up to the closing quote, with escapes."""
        chars: list[str] = []
        while not self.done():
            char = self.text[self.pos]
            self.pos += 1
            if char == '"':
                break
            if char == "\\" and not self.done():
                char = self.text[self.pos]
                self.pos += 1
            chars.append(char)
        return "".join(chars)

    def params(self) -> dict[str, str]:
        """The ``; name=value`` parameters of one link-value, up to the ``,`` that ends it."""
        params: dict[str, str] = {}
        while True:
            self.skip(_WHITESPACE)
            if not self.take(";"):
                # Anything else than `;` ends this link-value; skip junk up to the next one.
                self.until(",")
                return params
            self.skip(_WHITESPACE)
            name = self.until(_TOKEN_END).lower()
            self.skip(_WHITESPACE)
            value = ""
            if self.take("="):
                self.skip(_WHITESPACE)
                value = self.quoted() if self.take('"') else self.until(_TOKEN_END)
            if name:
                params.setdefault(name, value)
