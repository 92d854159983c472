"""XRPC calls to Bluesky with a session: log in, send the token, refresh it when it expires.

A session is made with ``com.atproto.server.createSession`` (``identifier`` = handle or email,
``password`` = an *app password*) and gives an ``accessJwt`` (minutes) and a ``refreshJwt``
(weeks). An expired access token is answered 401 ``{"error": "ExpiredToken"}``: the session is
refreshed (``com.atproto.server.refreshSession``, or a new login when the refresh token expired
too) and the call repeated once; a second refusal is :class:`AuthFailed`.

Without credentials the calls go out anonymously; a refusal then says that a session is needed
(Bluesky answers an anonymous search 403 with an HTML page, not with an XRPC error).
Rate limits are the PDS's ``RateLimit-*`` headers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from ingest.connectors.base import AuthFailed, MalformedResponse
from ingest.connectors.http import ApiClient, Verdict, bearer, json_object
from ingest.connectors.rate_limit import RateLimit, epoch_reset, header_number, seconds_reset

NEEDS_SESSION = (
    "a session is required: set the credentials identifier and app_password "
    "(an app password from Bluesky's settings)"
)


class SessionExpired(AuthFailed):
    """The ``accessJwt`` expired (401 ``ExpiredToken``): refresh the session and try again."""


def read_rate_limit(response: httpx.Response, now: datetime) -> RateLimit:
    """``RateLimit-Limit`` / ``-Remaining`` / ``-Reset``; the reset is Unix seconds on the PDS,
    seconds from now in the IETF draft: a number too small to be a date is read as the latter."""
    reset = header_number(response, "RateLimit-Reset")
    if reset is not None and reset > 1e9:
        resets_at = epoch_reset(reset)
    else:
        resets_at = seconds_reset(reset, now)
    return RateLimit(
        remaining=header_number(response, "RateLimit-Remaining"),
        limit=header_number(response, "RateLimit-Limit"),
        resets_at=resets_at,
    )


def classify(response: httpx.Response) -> Verdict:
    """Tell an expired token (worth a refresh) from a refused one."""
    if response.status_code in (400, 401):
        body = json_object(response)
        if body is not None and body.get("error") == "ExpiredToken":
            return SessionExpired(f"bluesky: {body.get('message') or 'token expired'}", status=401)
    return None


class XrpcSession:
    """XRPC methods under ``base_url`` through ``api``, logged in with ``login`` if given."""

    def __init__(self, api: ApiClient, base_url: str, login: tuple[str, str] | None) -> None:
        self.api = api
        self._base_url = base_url.rstrip("/")
        self._login = login
        self._access_jwt: str | None = None
        self._refresh_jwt: str | None = None

    def __repr__(self) -> str:  # the password and the tokens stay out of reprs
        return f"XrpcSession(base_url={self._base_url!r}, logged_in={self._access_jwt is not None})"

    def get(self, method: str, params: dict[str, str | int]) -> Any:
        """GET one query method and decode its JSON."""
        url = f"{self._base_url}/{method}"
        if self._login is None:
            try:
                return self.api.get_json(url, params=params)
            except AuthFailed as exc:
                raise AuthFailed(f"{exc}; {NEEDS_SESSION}", status=exc.status) from None
        try:
            return self.api.get_json(url, params=params, headers=self._signed_in())
        except SessionExpired:
            self._refresh()
        try:
            return self.api.get_json(url, params=params, headers=self._signed_in())
        except SessionExpired as exc:
            raise AuthFailed(f"{exc} (again, right after a new session)", status=401) from None

    def _signed_in(self) -> dict[str, str]:
        """The session's ``Authorization`` header, logging in first if there is no session."""
        if self._access_jwt is None:
            self._create()
        assert self._access_jwt is not None  # _create keeps a token or raises
        return bearer(self._access_jwt)

    def _create(self) -> None:
        assert self._login is not None
        identifier, password = self._login
        body = {"identifier": identifier, "password": password}
        self._keep(self._post("com.atproto.server.createSession", body))

    def _refresh(self) -> None:
        """``refreshSession`` with the refresh token; if that one expired too, log in again."""
        if self._refresh_jwt is None:
            self._create()
            return
        try:
            self._keep(self._post("com.atproto.server.refreshSession", None, self._refresh_jwt))
        except AuthFailed:
            self._create()

    def _post(self, method: str, body: dict[str, str] | None, token: str | None = None) -> Any:
        headers = bearer(token) if token else None
        url = f"{self._base_url}/{method}"
        response = self.api.request("POST", url, json=body, headers=headers)
        try:
            return response.json()
        except ValueError:
            raise MalformedResponse(f"bluesky: {method} answered a body that is not JSON") from None

    def _keep(self, session: Any) -> None:
        access = session.get("accessJwt") if isinstance(session, dict) else None
        if not isinstance(access, str) or not access:
            raise MalformedResponse("bluesky: the session answer has no accessJwt")
        refresh = session.get("refreshJwt")
        self._access_jwt, self._refresh_jwt = access, refresh if isinstance(refresh, str) else None
