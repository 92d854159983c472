"""HTTP routes of rights attachments: upload a file to a post's rights record, download it.

The upload's body is the file itself (``curl --data-binary @shot.png -H 'Content-Type:
image/png'``), read in chunks up to ``UGC_RIGHTS_ATTACHMENT_MAX_BYTES`` so that an oversized
upload is refused without being held in memory. Declared before the moderation routes, as
:mod:`.routes` is.
"""

from __future__ import annotations

import base64
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request, Response

from curation_api.kit import (
    ModeratorDep,
    NotFound,
    NowDep,
    SessionDep,
    SettingsDep,
    Unauthorized,
    error_responses,
)
from curation_api.rights import attachments
from curation_api.rights.attachments import (
    AttachmentRead,
    EmptyAttachment,
    PayloadTooLarge,
    UnsupportedType,
)

router = APIRouter(prefix="/v1", tags=["rights"])

UPLOAD_ERRORS = error_responses(
    Unauthorized, NotFound, PayloadTooLarge, UnsupportedType, EmptyAttachment
)


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the file is {declared} bytes; at most {limit} are taken")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the file is larger than {limit} bytes, the most taken")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/posts/{post_id:path}/rights/attachments",
    status_code=201,
    responses=UPLOAD_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                kind: {"schema": {"type": "string", "format": "binary"}}
                for kind in sorted(attachments.SNIFFERS)
            },
        }
    },
)
async def upload_attachment(
    post_id: str,
    request: Request,
    moderator: ModeratorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    content_type: Annotated[str | None, Header()] = None,
    filename: Annotated[str | None, Query(max_length=1000)] = None,
) -> AttachmentRead:
    """Attach a file (the body, with its `Content-Type`) to the post's rights record; cite
    its id in `attachment_ids` of the decision it supports."""
    attachments.media_type(content_type)  # refuse a wrong type before reading the body
    data = await _body(request, settings.rights_attachment_max_bytes)
    return attachments.add(
        session,
        post_id,
        data,
        content_type=content_type,
        filename=filename,
        uploaded_by=moderator.name,
        now=now,
    )


@router.get(
    "/rights/attachments/{attachment_id}",
    response_class=Response,
    responses={
        **error_responses(Unauthorized, NotFound),
        200: {"content": {"application/octet-stream": {}}, "description": "The file."},
    },
)
def download_attachment(
    attachment_id: int, _moderator: ModeratorDep, session: SessionDep
) -> Response:
    """The file as uploaded, as a download (never rendered inline), with its SHA-256."""
    row = attachments.get(session, attachment_id)
    return Response(
        row.data,
        media_type=row.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
            "ETag": f'"{row.sha256}"',
            # RFC 9530: the SHA-256 of the bytes, base64 between colons.
            "Repr-Digest": f"sha-256=:{base64.b64encode(bytes.fromhex(row.sha256)).decode()}:",
        },
    )
