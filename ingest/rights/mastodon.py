"""Rights requests on Mastodon: the brand's account replies to the creator's status, and reads
the replies to that reply.

Sending is ``POST /api/v1/statuses`` (``status``, ``in_reply_to_id``, ``visibility``) with the
command's ``Idempotency-Key``: Mastodon answers a repeat of the key within about an hour with the
status it already made. A worker restarted later than that would post again, so before every
send the post's context (``GET /api/v1/statuses/{id}/context``) is read for a reply of the
brand's account with the same text; one found is reported as sent instead. Together they make
one status per command, whenever the worker died.

Errors: 404/410 of the creator's status is :class:`~ingest.rights.network.PostGone`; other
4xx are the network's refusal (:class:`~ingest.connectors.base.ConfigError`, ``AuthFailed``);
429 and 5xx are retried by :class:`~ingest.connectors.http.ApiClient`, then raise
``Unavailable``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from contract import RightsCommand, RightsEvent
from ingest.connectors.base import MalformedResponse
from ingest.connectors.from_job import Wiring
from ingest.connectors.http import ApiClient, Verdict, bearer, json_error_message
from ingest.connectors.mastodon.timeline import make_http_client, read_rate_limit
from ingest.html_text import html_to_text
from ingest.rights.network import (
    PostGone,
    Reply,
    Sent,
    comparable,
    parse_time,
    required_credentials,
    send_event,
)
from ingest.rights.watches import Watch
from ingest.settings import IngestSettings
from listening.credentials import CredentialResolver


def _gone(response: httpx.Response) -> Verdict:
    if response.status_code in (404, 410):
        message = json_error_message(response) or response.reason_phrase
        return PostGone(f"mastodon answered {response.status_code}: {message}")
    return None


@dataclass(frozen=True)
class _Status:
    """A descendant of a status, read from its context."""

    id: str
    in_reply_to_id: str | None
    account_id: str
    text: str
    created_at: str
    url: str | None


def mastodon_api(base_url: str, token: str, wiring: Wiring) -> ApiClient:
    """An :class:`ApiClient` on the brand's instance, authenticated as the brand's account."""

    def make() -> httpx.Client:
        client = make_http_client(base_url)
        client.headers.update(bearer(token))
        return client

    if wiring.client is not None:
        wiring.client.headers.update(bearer(token))
    return wiring.api("mastodon", make, rate_limit=read_rate_limit, classify=_gone)


def from_settings(
    settings: IngestSettings, resolver: CredentialResolver, wiring: Wiring
) -> MastodonRights | None:
    """The brand's Mastodon account, or ``None`` when none is configured (manual sends)."""
    base_url, ref = settings.rights_mastodon_base_url, settings.rights_mastodon_credentials
    if base_url is None:
        return None
    token = required_credentials("mastodon", ref, ["access_token"], resolver)["access_token"]
    return MastodonRights(
        mastodon_api(base_url, token, wiring),
        visibility=settings.rights_mastodon_visibility,
        account=f"mastodon {base_url} ({ref})",
    )


class MastodonRights:
    """The brand's Mastodon account: sends requests and reads the replies to them."""

    network = "mastodon"

    def __init__(self, api: ApiClient, *, visibility: str, account: str) -> None:
        self._api = api
        self.visibility = visibility
        #: What pacing counts sends against: the instance and the credentials reference.
        self.account = account
        self._brand_id: str | None = None

    def close(self) -> None:
        self._api.close()

    def brand_account_id(self) -> str:
        """The brand account's id (``GET /api/v1/accounts/verify_credentials``), read once."""
        if self._brand_id is None:
            body = self._api.get_json("/api/v1/accounts/verify_credentials")
            if not isinstance(body, dict) or not isinstance(body.get("id"), str):
                raise MalformedResponse("mastodon: verify_credentials answered no account id")
            self._brand_id = body["id"]
        return self._brand_id

    def send(self, command: RightsCommand) -> RightsEvent:
        """Reply to the creator's status with the command's text, at most once per command.

        Returns ``sent``, ``post_deleted`` or ``failed``; raises ``Unavailable`` (transient)."""
        return send_event(command, self._found_or_posted)

    def replies(self, watch: Watch) -> list[Reply]:
        """The direct replies to our status (its context's descendants), oldest first as
        Mastodon gives them; raises :class:`PostGone` when our status was deleted."""
        body = self._api.get_json(f"/api/v1/statuses/{watch.sent_id}/context")
        if not isinstance(body, dict) or not isinstance(body.get("descendants"), list):
            raise MalformedResponse("mastodon: a status context without descendants")
        brand = self.brand_account_id()
        return [
            Reply(
                id=status.id,
                author_id=status.account_id,
                text=status.text,
                created_at=parse_time(status.created_at),
                url=status.url,
            )
            for item in body["descendants"]
            if (status := _status(item)) is not None
            and status.in_reply_to_id == watch.sent_id
            and status.account_id != brand
        ]

    def _found_or_posted(self, command: RightsCommand) -> Sent:
        existing = self._our_reply(command)
        status = existing if existing is not None else self._post(command)
        if not isinstance(status.get("id"), str):
            raise MalformedResponse("mastodon: the new status has no id")
        url = status.get("url")
        return Sent(status["id"], url if isinstance(url, str) else None)

    def _our_reply(self, command: RightsCommand) -> dict[str, Any] | None:
        """A reply already posted for ``command`` (a worker that died before reporting it)."""
        brand = self.brand_account_id()
        body = self._api.get_json(f"/api/v1/statuses/{command.native_id}/context")
        # Mastodon renders our text as HTML: compare what a reader sees. A link in the text is
        # shortened on rendering, so such a text may not match (then the Idempotency-Key, kept
        # about an hour, is what prevents a second status).
        wanted = comparable(command.text)
        for item in body.get("descendants", []) if isinstance(body, dict) else []:
            reply = _status(item)
            if (
                reply is not None
                and reply.in_reply_to_id == command.native_id
                and reply.account_id == brand
                and comparable(reply.text) == wanted
            ):
                assert isinstance(item, dict)
                return item
        return None

    def _post(self, command: RightsCommand) -> dict[str, Any]:
        response = self._api.request(
            "POST",
            "/api/v1/statuses",
            json={
                "status": command.text,
                "in_reply_to_id": command.native_id,
                "visibility": self.visibility,
            },
            headers={"Idempotency-Key": command.idempotency_key},
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise MalformedResponse("mastodon: POST /api/v1/statuses answered no status")
        return body


def _status(item: object) -> _Status | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None
    account = item.get("account")
    if not isinstance(account, dict) or not isinstance(account.get("id"), str):
        return None
    content = item.get("content")
    return _Status(
        id=item["id"],
        in_reply_to_id=item.get("in_reply_to_id"),
        account_id=account["id"],
        text=html_to_text(content) if isinstance(content, str) else "",
        created_at=str(item.get("created_at") or ""),
        url=item.get("url") if isinstance(item.get("url"), str) else None,
    )
