"""The networks whose API cannot send a rights request here (yet): a person sends it by hand.

The reasons are ``PLATFORMS.md``'s ("What the rights-request flow can do on each network"); the
curation side shows them with the request so that the moderator knows why and what to do.
"""

from __future__ import annotations

from contract import RightsCommand, RightsEvent, RightsEventKind, utcnow

REASONS = {
    "x": (
        "X lets an app reply only when the author mentioned or quoted the brand, and this "
        "worker has no X sender yet: reply by hand from the brand's account"
    ),
    "instagram": (
        "Instagram's API comments only where the caption @mentions the brand, and this worker "
        "has no Instagram sender yet: reply by hand from the brand's account"
    ),
    "reddit": (
        "a Reddit reply needs the brand account's user OAuth, which this worker does not hold "
        "yet: reply by hand"
    ),
    "youtube": (
        "a YouTube comment reply needs the brand channel's user OAuth, which this worker does "
        "not hold yet: reply by hand"
    ),
    "bluesky": (
        "a Bluesky reply needs a session of the brand's account, which this worker does not "
        "hold yet: reply by hand"
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
