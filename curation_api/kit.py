"""What every feature of the API shares: errors, pagination cursors, the session, the moderator.

Features import from here and from :mod:`database.models`, never from each other. The errors
and the keyset pages are the shared domain's (:mod:`database.errors`, :mod:`database.paging`),
re-exported so that a feature needs one import for all of them.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Query, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BaseModel, Field, TypeAdapter
from sqlalchemy import Select, literal, tuple_
from sqlalchemy.orm import Session, sessionmaker

from curation_api.settings import ApiSettings
from database.engine import UtcDateTime
from database.errors import Conflict as Conflict
from database.errors import DomainError as DomainError
from database.errors import InvalidCursor as InvalidCursor
from database.errors import NotFound as NotFound
from database.models import Post
from database.paging import Page as Page
from database.paging import decode_cursor as decode_cursor
from database.paging import encode_cursor as encode_cursor
from database.paging import page_of as page_of

DEFAULT_ACTOR = "moderator"


# --- Errors ---------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    detail: str = Field(description="What went wrong, for a person to read.")


class ServiceUnavailable(DomainError):
    status_code = 503
    description = "A service the API depends on is unavailable"


class Unauthorized(DomainError):
    status_code = 401
    description = "Missing or wrong moderator API key"


def error_responses(*errors: type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry of a route that may raise ``errors``."""
    declared: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        entry = declared.setdefault(error.status_code, {"model": ErrorBody, "description": ""})
        entry["description"] = " / ".join(filter(None, [entry["description"], error.description]))
    return declared


async def domain_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """Render a :class:`DomainError` as ``{"detail": ...}`` with its status and headers."""
    if not isinstance(exc, DomainError):  # pragma: no cover - registered for DomainError only
        raise exc
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


# --- Keyset pagination ----------------------------------------------------------------------


# Posts page newest first; post_id breaks ties between posts created in the same instant.
POST_KEY: TypeAdapter[tuple[datetime, str]] = TypeAdapter(tuple[AwareDatetime, str])


AnySelect = TypeVar("AnySelect", bound=Select[Any])


def post_key(post: Post) -> tuple[datetime, str]:
    return (post.created_at, post.post_id)


def newest_posts_first(statement: AnySelect, cursor: str | None) -> AnySelect:
    """``statement`` ordered newest first by (created_at, post_id), resuming after ``cursor``.

    A row-value comparison, so that both databases walk the (…, created_at, post_id) indexes
    from where the previous page ended instead of skipping rows like OFFSET would. The bound
    values carry the column types so that SQLite compares its stored text form.
    """
    if cursor is not None:
        created_at, post_id = decode_cursor(cursor, POST_KEY)
        statement = statement.where(
            tuple_(Post.created_at, Post.post_id)
            < tuple_(literal(created_at, UtcDateTime()), literal(post_id, Post.post_id.type))
        )
    return statement.order_by(Post.created_at.desc(), Post.post_id.desc())


CursorQuery = Annotated[
    str | None,
    Query(max_length=512, description="The `next_cursor` of the previous page."),
]


# --- Request-scoped state -------------------------------------------------------------------


def get_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


READING_METHODS = frozenset({"GET", "HEAD"})


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: committed when the route returns, rolled back when it raises.

    Services only ``flush()``. The dependency has function scope so that the commit happens
    before the response is sent: a client never sees a success that was not stored.
    """
    factory: sessionmaker[Session] = (
        request.app.state.read_sessionmaker  # never behind the write lock on SQLite
        if request.method in READING_METHODS
        else request.app.state.sessionmaker
    )
    with factory() as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()


def get_now(request: Request) -> datetime:
    """The time this request acts at, from the app's clock (tests move it)."""
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
NowDep = Annotated[datetime, Depends(get_now)]


# --- Moderator authentication ---------------------------------------------------------------


class Moderator(BaseModel):
    """Whoever holds the moderator key; ``name`` is what the audit log records."""

    name: str


api_key_scheme = APIKeyHeader(
    name="X-API-Key",
    scheme_name="ApiKey",
    description="The moderator API key (`UGC_MODERATOR_API_KEY`).",
    auto_error=False,
)
bearer_scheme = HTTPBearer(
    scheme_name="Bearer",
    description="The moderator API key as a bearer token.",
    auto_error=False,
)


def require_moderator(
    settings: SettingsDep,
    api_key: Annotated[str | None, Security(api_key_scheme)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    x_actor: Annotated[
        str | None,
        Header(
            max_length=255,
            description=(
                "Name recorded in the audit log as the moderator who acted (default "
                f"`{DEFAULT_ACTOR}`). Self-declared: everyone with the key may set it."
            ),
        ),
    ] = None,
) -> Moderator:
    """The moderator making the request, or 401 unless the key matches.

    The key may come as ``X-API-Key`` or as ``Authorization: Bearer``; it is compared in
    constant time so that response timing does not reveal how much of a guess was right.
    """
    given = api_key if api_key is not None else (bearer.credentials if bearer else None)
    challenge = {"WWW-Authenticate": 'Bearer realm="ugc-moderation"'}
    if not given:
        raise Unauthorized(
            "moderator API key required: send it as X-API-Key or Authorization: Bearer",
            headers=challenge,
        )
    if not hmac.compare_digest(given.encode(), settings.moderator_api_key.encode()):
        raise Unauthorized("invalid moderator API key", headers=challenge)
    return Moderator(name=(x_actor or "").strip() or DEFAULT_ACTOR)


ModeratorDep = Annotated[Moderator, Depends(require_moderator)]
