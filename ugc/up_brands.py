"""The brands ``ugc up`` sets up beside its feeds, so that the rights flow works on the demo.

One brand per feed: its hashtag, an approval hashtag (``#YesBrewNorth``), a thank-you reply
and a first version of its terms of use. A brand that exists already keeps its settings and
terms (a moderator may have changed them): running ``ugc up`` again never adds a terms version.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

#: How the demo's brands spell their names; any other hashtag is title-cased.
DEMO_NAMES = {"brewnorth": "BrewNorth", "trailpeak": "TrailPeak", "glowlab": "GlowLab"}

TERMS = (
    "{name} terms of use for your post\n\n"
    "By replying with {approval} you allow {name} to show your post, credited to you, on its "
    "website and its own social channels. You keep every right to your post. You can withdraw "
    "this permission at any time by replying that you withdraw it, and {name} will take your "
    "post down from every place it shows it.\n"
)
THANK_YOU = "Thank you {handle}! We will credit you wherever we show your post."


def brand_name(tag: str) -> str:
    """The brand's display name for its hashtag (``brewnorth`` → ``BrewNorth``)."""
    return DEMO_NAMES.get(tag, tag.title().replace("_", ""))


def create_brands(
    client: httpx.Client, feeds: dict[str, str], say: Callable[[str], None]
) -> list[str]:
    """Make sure every feed (slug → hashtag) has its brand with an approval hashtag and terms,
    through the API ``client`` (which carries the moderator key); the slugs of the brands that
    are ready."""
    ready = []
    for slug, tag in feeds.items():
        name = brand_name(tag)
        existing = client.get(f"/v1/brands/{slug}")
        if existing.status_code == 404:
            created = client.put(
                f"/v1/brands/{slug}",
                json={"name": name, "hashtags": [tag], "approval_hashtag": f"#Yes{name}"},
            )
            if created.status_code >= 300:
                say(f"could not create brand {slug}: {created.text}")
                continue
            thanks = client.put(f"/v1/brands/{slug}/templates/thank_you", json={"text": THANK_YOU})
            if thanks.status_code >= 300:
                say(f"could not add the thank-you of brand {slug}: {thanks.text}")
            existing = created
        elif existing.status_code >= 300:
            say(f"could not read brand {slug}: {existing.text}")
            continue
        brand = existing.json()
        if brand.get("latest_terms_version") is None:
            text = TERMS.format(name=name, approval=brand["approval_hashtag"])
            terms = client.post(f"/v1/brands/{slug}/terms", json={"text": text})
            if terms.status_code >= 300:
                say(f"could not add terms for brand {slug}: {terms.text}")
                continue
        ready.append(slug)
    return ready
