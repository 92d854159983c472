"""A user's OAuth access token, obtained from a refresh token and renewed before it expires.

Reddit and YouTube act as the brand's own account only with user OAuth: the brand authorized
the app once, and its refresh token is exchanged (``grant_type=refresh_token``, posted as a form
to the network's token URL) for an access token that lasts ``expires_in`` seconds. The token is
kept until a minute before then on the :class:`~ingest.connectors.from_job.Wiring` clock, and
fetched again once when the API answers 401 (revoked or expired early).

The networks differ only in how the app proves who it is (:class:`RefreshGrant`): Reddit with
HTTP Basic ``client_id:client_secret``, Google with both in the form body.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

import httpx

from ingest.connectors.base import AuthFailed, ConfigError
from ingest.connectors.from_job import Wiring
from ingest.connectors.http import ApiClient, json_error_message, json_object
from ingest.rights.network import required_credentials
from listening.credentials import CredentialResolver

R = TypeVar("R")

#: Renew this long before the token expires: a request sent just before then must not fail.
MARGIN = timedelta(seconds=60)


#: The credential names of a user-OAuth account, under its credentials reference.
CREDENTIALS = ("client_id", "client_secret", "refresh_token")


@dataclass(frozen=True)
class AppCredentials:
    """The app the brand authorized, and the refresh token the brand gave it."""

    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)


def app_credentials(network: str, ref: str, resolver: CredentialResolver) -> AppCredentials:
    """The :data:`CREDENTIALS` under ``ref``; :class:`~ingest.rights.network.RightsConfigError`
    names those missing and where to set them."""
    found = required_credentials(network, ref, CREDENTIALS, resolver)
    return AppCredentials(found["client_id"], found["client_secret"], found["refresh_token"])


@dataclass(frozen=True)
class RefreshGrant:
    """How one network exchanges the brand's refresh token for an access token."""

    network: str
    token_url: str
    app: AppCredentials
    #: ``True``: the app's credentials go as HTTP Basic (Reddit); ``False``: in the form (Google).
    basic_auth: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)

    def request(self) -> tuple[dict[str, str], dict[str, str]]:
        """The form and the headers of one token request."""
        app = self.app
        form = {"grant_type": "refresh_token", "refresh_token": app.refresh_token}
        headers = dict(self.headers)
        if self.basic_auth:
            pair = f"{app.client_id}:{app.client_secret}".encode()
            headers["Authorization"] = f"Basic {base64.b64encode(pair).decode()}"
        else:
            form.update(client_id=app.client_id, client_secret=app.client_secret)
        return form, headers


def oauth_error_message(response: httpx.Response) -> str | None:
    """RFC 6749's ``error_description`` (or ``error``) of a token endpoint, else the usual."""
    body = json_object(response) or {}
    for key in ("error_description", "error"):
        if isinstance(body.get(key), str) and body[key]:
            return str(body[key])
    return json_error_message(response)


def token_api(network: str, wiring: Wiring, make_client: Callable[[], httpx.Client]) -> ApiClient:
    """The client of the token URL: the network's retries, the token endpoint's error bodies
    (and none of the API's own error manners: a 404 there is no deleted post)."""
    return wiring.api(network, make_client, error_message=oauth_error_message)


class UserToken:
    """The brand's access token on one network: :meth:`value` fetches or renews it."""

    def __init__(self, api: ApiClient, grant: RefreshGrant, *, now: Callable[[], datetime]) -> None:
        self._api = api
        self._grant = grant
        self._now = now
        self._token: str | None = None
        self._expires_at: datetime | None = None

    def __repr__(self) -> str:  # never the token or the secrets
        return f"UserToken({self._grant.network}, {self._grant.token_url})"

    def close(self) -> None:
        self._api.close()

    def forget(self) -> None:
        """The API refused the token: the next :meth:`value` fetches a fresh one."""
        self._token = None

    def value(self) -> str:
        """The access token, fetched first when there is none or it is about to expire."""
        expired = self._expires_at is not None and self._now() >= self._expires_at
        if self._token is not None and not expired:
            return self._token
        form, headers = self._grant.request()
        network = self._grant.network
        try:
            response = self._api.request("POST", self._grant.token_url, data=form, headers=headers)
        except ConfigError as exc:
            raise AuthFailed(
                f"{network}: the brand's refresh token was refused ({exc}); authorize the app "
                "again and store the new refresh token"
            ) from None
        body = json_object(response) or {}
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            # Reddit may answer 200 with {"error": ...} instead of a 4xx.
            raise AuthFailed(
                f"{network}: the token URL gave no access token "
                f"({oauth_error_message(response) or 'no error given'})"
            )
        expires_in = body.get("expires_in")
        self._token = token
        self._expires_at = (
            self._now() + timedelta(seconds=float(expires_in)) - MARGIN
            if isinstance(expires_in, int | float) and not isinstance(expires_in, bool)
            else None
        )
        return token

    def authorized(self, call: Callable[[str], R]) -> R:
        """``call(token)``; when the API answers 401, once more with a freshly fetched token.

        A token that cannot be fetched raises at once (the second try would fail the same way)."""
        token = self.value()
        try:
            return call(token)
        except AuthFailed as exc:
            if exc.status != 401:
                raise
        self.forget()
        return call(self.value())
