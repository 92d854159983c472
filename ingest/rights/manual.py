"""Requests on a network where the brand has no account configured: a person sends them by hand.

The reasons are ``PLATFORMS.md``'s ("What the rights-request flow can do on each network"); the
curation side shows them with the request so that the moderator knows why and what to do.
"""

from __future__ import annotations

from contract import RightsCommand, RightsEvent, RightsEventKind, utcnow

REASONS = {
    "x": (
        "X lets an app reply only when the author mentioned or quoted the brand, and no X "
        "account is configured for the brand (UGC_RIGHTS_X_CREDENTIALS): reply by hand from "
        "the brand's account"
    ),
    "instagram": (
        "Instagram's API comments only where the caption @mentions the brand, and no Instagram "
        "account is configured for the brand (UGC_RIGHTS_INSTAGRAM_CREDENTIALS): reply by hand"
    ),
    "reddit": (
        "no Reddit account is configured for the brand (UGC_RIGHTS_REDDIT_CREDENTIALS, user "
        "OAuth): reply by hand"
    ),
    "youtube": (
        "no YouTube channel is configured for the brand (UGC_RIGHTS_YOUTUBE_CREDENTIALS, user "
        "OAuth): reply by hand"
    ),
    "bluesky": (
        "no Bluesky account is configured for the brand (UGC_RIGHTS_BLUESKY_CREDENTIALS): "
        "reply by hand"
    ),
    "mastodon": (
        "no Mastodon account is configured for the brand (UGC_RIGHTS_MASTODON_BASE_URL and "
        "UGC_RIGHTS_MASTODON_CREDENTIALS): reply by hand"
    ),
}


def manual_reason(network: str) -> str:
    return REASONS.get(
        network, f"{network or 'this network'} has no API to send the request: send it by hand"
    )


def manual_send_needed(command: RightsCommand) -> RightsEvent:
    """The event that hands ``command`` to a person."""
    return RightsEvent(
        kind=RightsEventKind.MANUAL_SEND_NEEDED,
        post_id=command.post_id,
        request_id=command.request_id,
        reason=manual_reason(command.network),
        at=utcnow(),
    )
