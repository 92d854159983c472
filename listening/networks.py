"""The networks a listening job can use, as data: their modes, options and credential names.

The API checks a job against this table without importing any connector, and the ingest worker
builds its connectors from the same names (``ingest/connectors/<network>/``), so a job refused
by one is refused by the other. A job's options are checked against every option the network's
connectors read, so that a job keeps them when it switches between polling and streaming.

TikTok is known only to be refused with the reason. Tests add a fake network with
:func:`register`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from database.enums import ListeningMode

TIKTOK_UNAVAILABLE = (
    "TikTok's Research API is only for approved non-profit researchers; "
    "it is not available to brands, so TikTok cannot be listened to"
)

#: Networks people ask for that no API open to brands allows, and why.
UNSUPPORTED: dict[str, str] = {"tiktok": TIKTOK_UNAVAILABLE}

#: Where connectors keep what must outlive a job's positions (Instagram's hashtag ledger,
#: YouTube's quota ledger) when the job's ``state_dir`` option does not say.
DEFAULT_STATE_DIR = Path(".ugc/state")


class NetworkRefused(ValueError):
    """No job can run on this network in this mode (TikTok, an unknown name, a mode it lacks)."""


@dataclass(frozen=True)
class Credentials:
    """Names of the secrets a job needs in one mode, and of those used when set."""

    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


@dataclass(frozen=True)
class Network:
    """One network: its modes (with the credential names of each), default mode and options."""

    name: str
    credentials: Mapping[ListeningMode, Credentials]
    options: Mapping[str, str]
    default_mode: ListeningMode = ListeningMode.POLL

    @property
    def modes(self) -> tuple[ListeningMode, ...]:
        return tuple(m for m in ListeningMode if m in self.credentials)


@dataclass(frozen=True)
class Description:
    """What a job on a network in a mode needs: secrets and options (names, never values)."""

    network: str
    mode: ListeningMode
    modes: tuple[ListeningMode, ...]
    required_credentials: tuple[str, ...]
    optional_credentials: tuple[str, ...] = ()
    options: Mapping[str, str] = field(default_factory=dict)

    @property
    def credential_names(self) -> tuple[str, ...]:
        return (*self.required_credentials, *self.optional_credentials)


_STATE_DIR_DEFAULT = f"(default UGC_STATE_DIR, else {DEFAULT_STATE_DIR})."

MASTODON = Network(
    "mastodon",
    # Public tag timelines need no token; an instance that requires login takes one, and
    # without it the stream is refused and the job is polled instead.
    {
        ListeningMode.POLL: Credentials(optional=("access_token",)),
        ListeningMode.STREAM: Credentials(optional=("access_token",)),
    },
    {
        "base_url": "Mastodon instance whose hashtag timelines are polled "
        "(default https://mastodon.social).",
        "page_limit": "Statuses per page (`limit`, 1 to 40; default 40).",
        "backfill_pages": "Pages of history taken on the first poll of a hashtag (default 1).",
        "streaming_url": "Base URL of the instance's streaming API when it is not base_url "
        "(see `urls.streaming_api` in /api/v1/instance).",
    },
)

BLUESKY = Network(
    "bluesky",
    # Jetstream needs no account; search (polling, backfill) is refused without a session in
    # practice.
    {
        ListeningMode.POLL: Credentials(optional=("identifier", "app_password")),
        ListeningMode.STREAM: Credentials(),
    },
    {
        "jetstream_url": "Jetstream websocket to subscribe to "
        "(default wss://jetstream2.us-east.bsky.network/subscribe).",
        "rewind_s": "Seconds replayed before the saved cursor on a reconnection "
        "(default 5): duplicates are dropped, nothing is lost.",
        "base_url": "XRPC base URL for search (default https://bsky.social/xrpc).",
        "backfill_pages": "Search pages (100 posts each) taken on the first poll (default 1).",
        "max_pages": "Search pages read per poll before checkpointing (default 10).",
        "overlap_s": "Seconds each search window re-reads for late-indexed posts (default 60).",
    },
    default_mode=ListeningMode.STREAM,
)

X = Network(
    "x",
    {ListeningMode.POLL: Credentials(required=("bearer_token",))},
    {
        "base_url": "API root (default https://api.x.com)",
        "max_results": "tweets per page, 10 to 100 (default 100)",
        "backfill_pages": "pages taken on the first poll of a hashtag (default 1)",
        "max_pages": "pages per fetch before the position records the hole left (default 10)",
    },
)

INSTAGRAM = Network(
    "instagram",
    {ListeningMode.POLL: Credentials(required=("access_token",))},
    {
        "ig_user_id": "Id of the Instagram business or creator account that searches (required).",
        "base_url": "Graph API base URL, version included "
        "(default https://graph.facebook.com/v21.0).",
        "edges": "Comma-separated media edges to read: recent_media, top_media (default both).",
        "state_dir": f"Directory of the hashtag budget file, one per account {_STATE_DIR_DEFAULT}",
        "max_pages": "Pages (50 media each) read per edge and poll (default 20).",
        "throttle_wait_s": "Seconds to wait when Meta throttles the app (default 900).",
        "max_poll_interval_s": "Longest poll interval accepted: the edges keep 24 h "
        "(default 21600).",
        "check_recent_searches": "Ask recently_searched_hashtags before using a new hashtag "
        "(default true).",
    },
)

REDDIT = Network(
    "reddit",
    # None is required: without credentials the job searches anonymously, at 10 requests a
    # minute.
    {ListeningMode.POLL: Credentials(optional=("access_token", "client_id", "client_secret"))},
    {
        "base_url": "search host (default https://oauth.reddit.com, anonymously www.reddit.com)",
        # not "mode": a job's mode is already poll or stream
        "access": "oauth or anonymous (default: oauth when credentials are given)",
        "user_agent": "the descriptive User-Agent Reddit requires (platform:app:version (by /u/x))",
        "token_url": "app-only OAuth endpoint (default https://www.reddit.com/api/v1/access_token)",
        "limit": "posts per page, 1 to 100 (default 100)",
        "backfill_pages": "pages taken on the first poll of a hashtag (default 1)",
        "max_pages": "pages per fetch before the position records where to go on (default 10)",
        "match": "hashtag (default: only #tag counts) or word (the bare word counts too)",
    },
)

YOUTUBE = Network(
    "youtube",
    {ListeningMode.POLL: Credentials(required=("api_key",))},
    {
        "base_url": "YouTube Data API host (default https://www.googleapis.com).",
        "daily_quota": "Units per day of the key's project (default 10000; a search costs 100).",
        "max_results": "Videos per search page, 1 to 50 (default 50).",
        "max_pages": "Search pages per fetch before the rest waits for the next one (default 5).",
        "backfill_pages": "Pages of history read on the very first poll of a hashtag (default 1).",
        "state_dir": f"Directory of the quota ledger, one per API key {_STATE_DIR_DEFAULT}",
    },
)

_NETWORKS: dict[str, Network] = {
    n.name: n for n in (MASTODON, BLUESKY, X, INSTAGRAM, REDDIT, YOUTUBE)
}


def known_networks() -> list[str]:
    """Names of the networks a job can listen on, sorted."""
    return sorted(_NETWORKS)


def network(name: str) -> Network:
    """The network called ``name`` (case-insensitive); :class:`NetworkRefused` saying why not
    for TikTok and other networks brands cannot listen on, or listing the known ones."""
    key = name.strip().casefold()
    if key in UNSUPPORTED:
        raise NetworkRefused(UNSUPPORTED[key])
    found = _NETWORKS.get(key)
    if found is None:
        known = ", ".join(known_networks())
        raise NetworkRefused(f"unknown network {name!r}: choose one of {known}")
    return found


def resolve_mode(entry: Network, mode: str | None) -> ListeningMode:
    """``mode``, or the network's default; :class:`NetworkRefused` when the network lacks it."""
    if mode is None:
        return entry.default_mode
    try:
        chosen = ListeningMode(mode)
    except ValueError:
        raise NetworkRefused(f"unknown mode {mode!r}: choose poll or stream") from None
    if chosen not in entry.modes:
        can = " or ".join(entry.modes)
        raise NetworkRefused(f"{entry.name} cannot {chosen.value}; it can {can}")
    return chosen


def describe(name: str, mode: str | None = None) -> Description:
    """Credentials and options of a job on network ``name`` in ``mode`` (default: the
    network's own); :class:`NetworkRefused` when no job can run there."""
    entry = network(name)
    chosen = resolve_mode(entry, mode)
    credentials = entry.credentials[chosen]
    return Description(
        network=entry.name,
        mode=chosen,
        modes=entry.modes,
        required_credentials=credentials.required,
        optional_credentials=credentials.optional,
        options=dict(entry.options),
    )


@contextmanager
def register(entry: Network) -> Iterator[Network]:
    """Make ``entry`` a known network while the block runs (tests add fake networks)."""
    # patch.dict puts the table back as it was, whatever the block added or replaced; imported
    # here because only tests register, and unittest.mock is no light import for a worker.
    from unittest.mock import patch

    with patch.dict(_NETWORKS, {entry.name: entry}):
        yield entry
