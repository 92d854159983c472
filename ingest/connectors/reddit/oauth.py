"""Reddit's bearer token: one given as is, or one obtained app-only and renewed before it expires.

App-only OAuth (``grant_type=client_credentials``) posts ``client_id`` + ``client_secret`` as
Basic credentials to ``token_url`` and gets a token that lasts ``expires_in`` seconds; it is
renewed a minute early, and at once when Reddit refuses it (:meth:`BearerToken.forget`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta

from ingest.connectors.base import AuthFailed, ConfigError
from ingest.connectors.http import ApiClient

TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
_MARGIN = timedelta(seconds=60)


class BearerToken:
    """The token to send: ``access_token`` if given, else one from ``app_credentials``."""

    def __init__(
        self,
        api: ApiClient,
        *,
        access_token: str | None,
        app_credentials: tuple[str, str] | None,
        token_url: str,
        user_agent: str,
        now: Callable[[], datetime],
    ) -> None:
        self._api = api
        self._token = access_token
        self._expires_at: datetime | None = None
        self._app_credentials = app_credentials
        self._token_url = token_url
        self._user_agent = user_agent
        self._now = now

    def __repr__(self) -> str:  # never the token or the secret
        return f"BearerToken(app_only={self._app_credentials is not None})"

    @property
    def renewable(self) -> bool:
        """Whether a refused token can be replaced (app-only OAuth) or not (a given one)."""
        return self._app_credentials is not None

    def forget(self) -> None:
        """Revoked or expired early: the next :meth:`value` asks for a fresh one."""
        self._token = None

    def value(self) -> str:
        """The token, obtained or renewed first when needed."""
        expired = self._expires_at is not None and self._now() >= self._expires_at
        if self._token is not None and not expired:
            return self._token
        if self._app_credentials is None:
            raise ConfigError("reddit: no access token")  # from_job makes this unreachable
        client_id, secret = self._app_credentials
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        response = self._api.request(
            "POST",
            self._token_url,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}", "User-Agent": self._user_agent},
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            error = body.get("error") if isinstance(body, dict) else None
            raise AuthFailed(f"reddit refused app-only OAuth: {error or 'no access_token'}")
        expires_in = body.get("expires_in") if isinstance(body, dict) else None
        self._token = token
        self._expires_at = (
            self._now() + timedelta(seconds=float(expires_in)) - _MARGIN
            if isinstance(expires_in, int | float)
            else None
        )
        return token
