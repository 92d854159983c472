"""Rights requests on Bluesky: the brand's account replies to the creator's post, and reads the
replies to that reply. It logs in with an app password and refreshes an expired token once, as
the listening connector does (:mod:`ingest.connectors.bluesky.session`).

A send reads the record its reply would have (``com.atproto.repo.getRecord``): its record key
is derived from the command (:func:`record_key`), so a command delivered again, however much
later, finds the reply it made and reports it sent. Else ``app.bsky.feed.getPosts`` gives the
post's ``cid`` and thread root (a deleted post is absent), and ``com.atproto.repo.createRecord``
makes the reply with that key. A create repeated after its answer was lost finds the key taken
(500 on today's PDS): the record is read again and, if there, reported sent.

Replies are ``app.bsky.feed.getPostThread`` of our reply (``depth=1``): the direct replies not
the brand's, oldest first, their author the DID (the listening connector's ``Author.id``).

Errors: a deleted post is :class:`~ingest.rights.network.PostGone`; a thread gate keeping the
brand out, :class:`~ingest.rights.network.NotAllowed`; a text over 300 graphemes and the PDS's
refusals are ``failed``; 429 (``RateLimit-*``) and 5xx are retried by
:class:`~ingest.connectors.http.ApiClient`, then raise ``Unavailable``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import regex

from contract import RightsCommand, RightsEvent, RightsEventKind, utcnow
from ingest.connectors.base import AuthFailed, ConfigError, MalformedResponse, Unavailable
from ingest.connectors.bluesky.post import POST_COLLECTION, PostRef, split_post_uri
from ingest.connectors.bluesky.session import SessionExpired, XrpcSession, read_rate_limit
from ingest.connectors.bluesky.session import classify as classify_session
from ingest.connectors.from_job import Wiring
from ingest.connectors.http import ApiClient, Verdict, http_client, json_object
from ingest.rights.network import (
    NotAllowed,
    PostGone,
    Reply,
    Sent,
    comparable,
    event_for,
    parse_time,
    required_credentials,
    send_event,
)
from ingest.rights.watches import Watch
from ingest.settings import IngestSettings
from listening.credentials import CredentialResolver

# Extended grapheme clusters; ``regex`` is installed with transformers (no stubs).
_GRAPHEME: Any = regex.compile(r"\X")

MAX_GRAPHEMES = 300
CREDENTIALS = ["identifier", "app_password"]
THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"
NOT_FOUND_POST = "app.bsky.feed.defs#notFoundPost"
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SPREAD_BITS = 20  # about a second of the timestamp, see record_key


class _MaybeCreated(Unavailable):
    """``createRecord`` failed in a way a taken record key also fails (500, 409): read the
    record before believing it. Transient if it is not there."""


def _classify(response: httpx.Response) -> Verdict:
    """An expired token (refresh it), a missing post or record (``NotFound``,
    ``RecordNotFound``, or older PDSs' ``Could not locate record``), a create to check."""
    verdict = classify_session(response)
    if verdict is not None:
        return verdict
    body = json_object(response) or {}
    error, message = body.get("error"), body.get("message")
    said = f"bluesky answered {response.status_code}: {message or error or response.reason_phrase}"
    gone = error in ("NotFound", "RecordNotFound") or str(message).startswith("Could not locate")
    if response.status_code == 400 and gone:
        return PostGone(said)
    creating = response.request.url.path.endswith("/com.atproto.repo.createRecord")
    if creating and (response.status_code in (409, 500) or error == "RecordAlreadyExists"):
        return _MaybeCreated(said)
    return None


class _BrandSession(XrpcSession):
    """The listening connector's session (login, one refresh on ``ExpiredToken``) plus what a
    writer needs: the account's DID, from the session, and procedures under the same token."""

    _did: str | None = None

    def did(self) -> str:
        """The brand account's DID (logging in first if needed)."""
        if self._did is None:
            self._signed_in()
        if self._did is None:
            raise MalformedResponse("bluesky: the session answer has no did")
        return self._did

    def call(self, method: str, body: dict[str, Any]) -> httpx.Response:
        """POST a procedure (its 2xx answer)."""
        url = f"{self._base_url}/{method}"
        try:
            return self.api.request("POST", url, json=body, headers=self._signed_in())
        except SessionExpired:
            self._refresh()
        try:
            return self.api.request("POST", url, json=body, headers=self._signed_in())
        except SessionExpired as exc:
            raise AuthFailed(f"{exc} (again, right after a new session)", status=401) from None

    def _keep(self, session: Any) -> None:
        super()._keep(session)  # checks that ``session`` is an object with a token
        did = session.get("did")
        self._did = did if isinstance(did, str) and did.startswith("did:") else self._did


def bluesky_api(wiring: Wiring) -> ApiClient:
    """An :class:`ApiClient` reading the PDS's ``RateLimit-*`` headers."""
    return wiring.api("bluesky", http_client, rate_limit=read_rate_limit, classify=_classify)


def from_settings(
    settings: IngestSettings, resolver: CredentialResolver, wiring: Wiring
) -> BlueskyRights | None:
    """The brand's Bluesky account, or ``None`` when none is configured (manual sends)."""
    ref = settings.rights_bluesky_credentials
    if ref is None:
        return None
    found = required_credentials("bluesky", ref, CREDENTIALS, resolver)
    return BlueskyRights(
        bluesky_api(wiring),
        base_url=settings.rights_bluesky_base_url,
        login=(found["identifier"], found["app_password"]),
        account=f"bluesky {found['identifier']} ({ref})",
        now=wiring.now,
    )


class BlueskyRights:
    """The brand's Bluesky account: sends requests and reads the replies to them."""

    network = "bluesky"

    def __init__(
        self,
        api: ApiClient,
        *,
        base_url: str,
        login: tuple[str, str],
        account: str,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._api = api
        self._session = _BrandSession(api, base_url, login)
        #: What pacing counts sends against: the account's identifier and credentials reference.
        self.account = account
        self._now = now

    def close(self) -> None:
        self._api.close()

    def send(self, command: RightsCommand) -> RightsEvent:
        """Reply to the creator's post with the command's text, at most once per command.

        Returns ``sent``, ``post_deleted``, ``manual_send_needed`` or ``failed``; raises
        ``Unavailable`` (transient)."""
        if (length := grapheme_count(command.text)) > MAX_GRAPHEMES:
            reason = f"bluesky allows {MAX_GRAPHEMES} characters in a post, this one has {length}"
            return event_for(command, RightsEventKind.FAILED, reason=reason)
        if split_post_uri(command.native_id) is None:
            reason = f"bluesky: {command.native_id!r} is not the AT URI of a post"
            return event_for(command, RightsEventKind.FAILED, reason=reason)
        return send_event(command, self._found_or_created)

    def replies(self, watch: Watch) -> list[Reply]:
        """The direct replies to our post, oldest first; raises :class:`PostGone` when our post
        or the creator's was deleted."""
        params: dict[str, str | int] = {"uri": watch.sent_id, "depth": 1, "parentHeight": 1}
        body = self._session.get("app.bsky.feed.getPostThread", params)
        thread = body.get("thread") if isinstance(body, dict) else None
        if not isinstance(thread, dict):
            raise MalformedResponse("bluesky: getPostThread answered no thread")
        if thread.get("$type") == NOT_FOUND_POST:
            raise PostGone(f"bluesky: our reply {watch.sent_id} was deleted")
        if _dig(thread, "parent", "$type") == NOT_FOUND_POST:
            raise PostGone(f"bluesky: the post our reply {watch.sent_id} answers was deleted")
        brand = self._session.did()
        items = thread.get("replies")
        found = [
            reply
            for item in (items if isinstance(items, list) else [])
            if (reply := _reply(item)) is not None and reply.author_id != brand
        ]
        # The AppView ranks replies its own way, not by time.
        latest = datetime.max.replace(tzinfo=UTC)
        return sorted(found, key=lambda reply: (reply.created_at or latest, reply.id))

    def _found_or_created(self, command: RightsCommand) -> Sent:
        did, rkey = self._session.did(), record_key(command)
        if not self._already_sent(command, did, rkey):
            self._create(command, did, rkey)
        ours = PostRef(did, rkey)
        return Sent(ours.uri, ours.permalink)

    def _already_sent(self, command: RightsCommand, did: str, rkey: str) -> bool:
        """Whether a delivery of ``command`` before this one made its reply."""
        params: dict[str, str | int] = {"repo": did, "collection": POST_COLLECTION, "rkey": rkey}
        try:
            body = self._session.get("com.atproto.repo.getRecord", params)
        except PostGone:
            return False
        value = body.get("value") if isinstance(body, dict) else None
        if not isinstance(value, dict):
            raise MalformedResponse("bluesky: getRecord answered no record value")
        parent = _dig(value, "reply", "parent", "uri")
        same_text = comparable(str(value.get("text"))) == comparable(command.text)
        if parent != command.native_id or not same_text:
            # Two commands whose keys share 30 hash bits and whose times share a second.
            raise ConfigError(
                f"bluesky: record key {rkey} already holds another post of the brand (a reply "
                f"to {parent}): this message was not sent"
            )
        return True

    def _create(self, command: RightsCommand, did: str, rkey: str) -> None:
        record = {
            "$type": POST_COLLECTION,
            "text": command.text,
            "createdAt": _iso(self._now()),
            "reply": self._reply_refs(command.native_id),
        }
        body = {"repo": did, "collection": POST_COLLECTION, "rkey": rkey, "record": record}
        try:
            self._session.call("com.atproto.repo.createRecord", body)
        except _MaybeCreated:
            # A create repeated after its answer was lost finds the key taken, by itself.
            if not self._already_sent(command, did, rkey):
                raise

    def _reply_refs(self, uri: str) -> dict[str, Any]:
        """``reply`` of a post answering ``uri``: its thread's root and the post itself."""
        body = self._session.get("app.bsky.feed.getPosts", {"uris": uri})
        posts = body.get("posts") if isinstance(body, dict) else None
        if not isinstance(posts, list):
            raise MalformedResponse("bluesky: getPosts answered without a posts array")
        if not posts:
            raise PostGone(f"bluesky: the post {uri} was deleted")
        post = posts[0]
        if not isinstance(post, dict) or not isinstance(post.get("cid"), str):
            raise MalformedResponse("bluesky: getPosts answered a post without a cid")
        if _dig(post, "viewer", "replyDisabled") is True:
            raise NotAllowed(
                "bluesky: the creator lets only some accounts reply to this post (a thread "
                "gate), and the brand's account is not one of them"
            )
        parent = {"uri": str(post.get("uri") or uri), "cid": post["cid"]}
        root = _strong_ref(_dig(post, "record", "reply", "root"))
        return {"root": root or parent, "parent": parent}


def record_key(command: RightsCommand) -> str:
    """The record key of the command's reply, the same at every delivery: a TID (a 53-bit
    microsecond timestamp and a 10-bit clock id, in base32-sortable) made of ``created_at``
    and a hash of the idempotency key. The hash also fills the timestamp's last 20 bits (about
    a second): the commands of one transaction (a batch of reminders) share ``created_at``, and
    with 10 bits two of a hundred would share a key; with 30, about one batch in 200,000."""
    digest = int.from_bytes(hashlib.sha256(command.idempotency_key.encode()).digest()[:8], "big")
    micros = (command.created_at - _EPOCH) // timedelta(microseconds=1)
    spread = (digest >> 10) & ((1 << _SPREAD_BITS) - 1)
    stamp = ((micros >> _SPREAD_BITS) << _SPREAD_BITS | spread) & ((1 << 53) - 1)
    value = stamp << 10 | digest & 0x3FF
    return "".join(_TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


def grapheme_count(text: str) -> int:
    """How many characters Bluesky counts in ``text``: extended grapheme clusters (an emoji
    family, a flag or an accented letter typed as two code points are one each)."""
    return len(_GRAPHEME.findall(text))


def _reply(item: object) -> Reply | None:
    """A ``threadViewPost`` as a :class:`Reply` (``None`` for ``#notFoundPost``,
    ``#blockedPost`` and anything unreadable)."""
    if not isinstance(item, dict) or item.get("$type") != THREAD_VIEW:
        return None
    uri, record = _dig(item, "post", "uri"), _dig(item, "post", "record")
    author = _dig(item, "post", "author", "did")
    ref = split_post_uri(uri) if isinstance(uri, str) else None
    if ref is None or not isinstance(author, str) or not isinstance(record, dict):
        return None
    return Reply(
        id=ref.uri,
        author_id=author,
        text=str(record.get("text") or ""),
        created_at=parse_time(record.get("createdAt")),
        url=ref.permalink,
    )


def _dig(value: object, *keys: str) -> object:
    """``value[k1][k2]...``, or ``None`` where a level is missing or not an object."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _strong_ref(value: object) -> dict[str, str] | None:
    """A ``com.atproto.repo.strongRef`` (``uri`` and ``cid``), or ``None``."""
    uri, cid = _dig(value, "uri"), _dig(value, "cid")
    return {"uri": uri, "cid": cid} if isinstance(uri, str) and isinstance(cid, str) else None


def _iso(when: datetime) -> str:
    """An atproto datetime: UTC, milliseconds, ``Z``."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
