"""The embed page: a feed's posts as plain HTML, for an iframe on sites that allow no script and
for crawlers. No script at all; every string from a post is escaped; only http(s) URLs become
links or images.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from html import escape
from urllib.parse import urlencode, urlsplit

from curation_api.feeds.schemas import FeedMedia, FeedPost
from curation_api.kit import Page

NETWORKS = {
    "bluesky": "Bluesky",
    "instagram": "Instagram",
    "mastodon": "Mastodon",
    "reddit": "Reddit",
    "x": "X",
    "youtube": "YouTube",
}

STYLE = """
body{margin:0;padding:12px;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1b1b1f;background:#fff}
h1{font-size:1.1em;margin:0 0 12px}
ul{list-style:none;margin:0;padding:0;display:grid;gap:12px;
grid-template-columns:repeat(auto-fill,minmax(min(15rem,100%),1fr))}
li{display:flex;flex-direction:column;border:1px solid #ddd;border-radius:8px;overflow:hidden}
figure{margin:0;aspect-ratio:1;background:#eee}
img{display:block;width:100%;height:100%;object-fit:cover}
p{margin:0;padding:.6em .75em 0;overflow-wrap:anywhere;white-space:pre-line}
footer{margin-top:auto;padding:.6em .75em .7em;font-size:.85em}
time{white-space:nowrap}
a{color:#0b63ce}
nav{margin-top:12px;display:flex;gap:1em;justify-content:center}
""".strip()

# The one stylesheet is allowed by its hash, so that no other inline style (an injected one)
# would be; frame-ancestors * because framing is what the page is for. data: images: only the
# empty icon below (posts' images are http(s) only).
EMBED_CSP = (
    "default-src 'none'; img-src https: http: data:; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()}'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors *"
)


CARD_PX = 480  # the src for browsers without srcset: about a card at 2x

# An empty icon: otherwise a browser opening the page asks the API for /favicon.ico (a 404).
ICON = '<link rel="icon" href="data:,">'


def http_url(value: str | None) -> str | None:
    """``value`` if it is an absolute http(s) URL with a host, else None."""
    if not value:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def media_url(value: str | None) -> str | None:
    """An http(s) URL, or a path on this origin (the API's stored copies of media)."""
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return http_url(value)


def handle_of(post: FeedPost) -> str:
    handle = post.author.handle.removeprefix("@")
    return f"@{handle}" if handle else "someone"


def network_of(post: FeedPost) -> str:
    return NETWORKS.get(post.platform, post.platform or "the web")


def embed_page(*, title: str, page: Page[FeedPost], limit: int, cursor: str | None) -> str:
    """The HTML of one page of the feed; ``cursor`` is the page's own (None: the first)."""
    items = "".join(_post(post) for post in page.items) or "<li><p>No posts yet.</p></li>"
    links = []
    if cursor is not None:
        links.append(f'<a href="?{escape(urlencode({"limit": limit}))}">Newest posts</a>')
    next_href = None
    if page.next_cursor is not None:
        next_href = "?" + urlencode({"cursor": page.next_cursor, "limit": limit})
        links.append(f'<a href="{escape(next_href)}" rel="next">Next page</a>')
    head_next = f'<link rel="next" href="{escape(next_href)}">' if next_href else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>{head_next}{ICON}<style>{STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1><ul>{items}</ul>"
        f"<nav>{''.join(links)}</nav></main></body></html>"
    )


def error_page(title: str, detail: str) -> str:
    """A page that says what went wrong (an unknown feed, a bad cursor)."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>{ICON}<style>{STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1><p>{escape(detail)}</p></main></body></html>"
    )


def _post(post: FeedPost) -> str:
    handle, network = handle_of(post), network_of(post)
    permalink = http_url(post.permalink)
    author = (
        f'<a href="{escape(permalink)}" target="_blank" rel="noopener noreferrer ugc nofollow">'
        f"{escape(handle)}</a>"
        if permalink
        else escape(handle)
    )
    created = escape(post.created_at.isoformat())
    day = escape(post.created_at.date().isoformat())
    return (
        f"<li>{_media(post.media, handle, network)}<p>{escape(post.text)}</p>"
        f"<footer>{author} on {escape(network)} · "
        f'<time datetime="{created}">{day}</time></footer></li>'
    )


def _media(media: Sequence[FeedMedia], handle: str, network: str) -> str:
    """The first still (an image, or a video's preview) in a fixed-ratio box, or nothing. With
    stored variants, a ``srcset`` and the size (so the browser knows the ratio up front)."""
    for item in media:
        is_image = item.type == "image"
        variants = [v for v in item.variants if media_url(v.url)] if is_image else []
        fallback = next(
            (v for v in variants if v.width >= CARD_PX), variants[-1] if variants else None
        )
        src = (
            (fallback.url if fallback else None)
            or media_url(item.preview_url)
            or (media_url(item.url) if is_image else None)
        )
        if src is None:
            continue
        alt = (item.alt_text or "").strip() or (
            f"{'Photo' if is_image else 'Video'} by {handle} on {network}"
        )
        extra = ""
        if variants:
            srcset = ", ".join(f"{v.url} {v.width}w" for v in variants)
            extra += f' srcset="{escape(srcset)}" sizes="(min-width: 48em) 33vw, 100vw"'
        if item.width and item.height:
            extra += f' width="{item.width}" height="{item.height}"'
        return (
            f'<figure><img src="{escape(src)}" alt="{escape(alt)}" loading="lazy" '
            f'decoding="async"{extra}></figure>'
        )
    return ""
