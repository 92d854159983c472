"""``GET /media/{copy_id}/{width}.webp``: a stored variant, from our own origin.

Public (widgets embed it). A variant's bytes never change under its URL, so it is cached for a
year (``immutable``) with a strong ETag; a post that stops being publishable answers 404 at
once, before the worker has deleted the files.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from curation_api.kit import NowDep, SessionDep
from curation_api.media import service
from curation_api.media.settings import MediaSettings
from curation_api.media.storage import MediaStore, store_from_settings

CACHE_CONTROL = "public, max-age=31536000, immutable"

router = APIRouter(tags=["media"])


def get_media_store(request: Request) -> MediaStore:
    """The store of this app: ``app.state.media_store`` when the caller set one, else the one
    ``UGC_MEDIA_*`` names (built once)."""
    store: MediaStore | None = getattr(request.app.state, "media_store", None)
    if store is None:
        store = request.app.state.media_store = store_from_settings(MediaSettings())
    return store


MediaStoreDep = Annotated[MediaStore, Depends(get_media_store)]


@router.get(
    "/media/{copy_id}/{width}.webp",
    response_class=Response,
    responses={
        200: {"content": {"image/webp": {}}, "description": "The variant's WebP bytes."},
        304: {"description": "Not modified (If-None-Match)."},
        404: {"description": "No such variant, or the post is not publishable."},
    },
)
def media_variant(
    copy_id: int,
    width: int,
    request: Request,
    session: SessionDep,
    store: MediaStoreDep,
    now: NowDep,
) -> Response:
    """A stored WebP variant of a post's image."""
    key = service.served_key(session, copy_id, width, now=now)
    # The read transaction ends before the store is read: never a network call inside it.
    session.rollback()
    data = None if key is None else store.get(key)
    if data is None:
        return JSONResponse({"detail": "media not found"}, status_code=404)
    etag = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if etag in _etags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    return Response(content=data, media_type="image/webp", headers=headers)


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
