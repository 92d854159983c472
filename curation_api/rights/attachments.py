"""Files a moderator attaches to a post's rights record: the screenshot of a "yes" given in a
DM, an e-mail, a signed form. Consent recorded by hand rests on them, so they are kept in the
database with their SHA-256, never changed, and a grant's proof lists the hashes of the files
its decision cited.

Only formats a person opens safely are taken, and the bytes must be what the declared type
says (an "image/png" that is HTML is refused): PNG, JPEG, WebP, GIF, PDF, plain text and
e-mail (``message/rfc822``). They are served back as downloads, never rendered inline.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from curation_api.kit import Conflict, DomainError, NotFound
from database.models import Post
from database.rights_models import RightsAttachment, RightsTransition

#: Most files one decision cites.
MAX_PER_DECISION = 10


class PayloadTooLarge(DomainError):
    status_code: ClassVar[int] = 413
    description: ClassVar[str] = "The attachment is larger than the API takes"


class UnsupportedType(DomainError):
    status_code: ClassVar[int] = 415
    description: ClassVar[str] = "The attachment's type is not one the API keeps"


class EmptyAttachment(DomainError):
    status_code: ClassVar[int] = 400
    description: ClassVar[str] = "The attachment is empty"


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r\f" for c in text)


#: The types kept, each with the check its bytes must pass.
SNIFFERS = {
    "image/png": lambda d: d.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": lambda d: d.startswith(b"\xff\xd8\xff"),
    "image/webp": lambda d: d[:4] == b"RIFF" and d[8:12] == b"WEBP",
    "image/gif": lambda d: d[:6] in (b"GIF87a", b"GIF89a"),
    "application/pdf": lambda d: d.startswith(b"%PDF-"),
    "text/plain": _is_text,
    "message/rfc822": _is_text,
}


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    post_id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    transition_id: int | None
    created_at: AwareDatetime


def media_type(header: str | None) -> str:
    """``"image/PNG; charset=x"`` → ``"image/png"``; refuses a type not in :data:`SNIFFERS`."""
    declared = (header or "").split(";", 1)[0].strip().lower()
    if declared not in SNIFFERS:
        raise UnsupportedType(
            f"Content-Type {declared or '(none)'!r} is not kept; send one of "
            + ", ".join(sorted(SNIFFERS))
        )
    return declared


def clean_filename(name: str | None) -> str:
    """The last path part, without control characters, at most 255 characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip(" .")
    return base[:255] or "attachment"


def add(
    session: Session,
    post_id: str,
    data: bytes,
    *,
    content_type: str | None,
    filename: str | None,
    uploaded_by: str,
    now: datetime,
) -> AttachmentRead:
    """Keep ``data`` as an attachment of the post; checks the type against the bytes."""
    if session.get(Post, post_id) is None:
        raise NotFound(f"no post with id {post_id!r}")
    declared = media_type(content_type)
    if not data:
        raise EmptyAttachment("the request body is empty: send the file's bytes as the body")
    if not SNIFFERS[declared](data):
        raise UnsupportedType(f"the file's bytes are not {declared}: send its real type")
    row = RightsAttachment(
        post_id=post_id,
        filename=clean_filename(filename),
        content_type=declared,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_by=uploaded_by,
        transition_id=None,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return AttachmentRead.model_validate(row)


def get(session: Session, attachment_id: int) -> RightsAttachment:
    row = session.get(RightsAttachment, attachment_id)
    if row is None:
        raise NotFound(f"no rights attachment with id {attachment_id}")
    return row


def of_post(session: Session, post_id: str) -> list[AttachmentRead]:
    rows = session.scalars(
        select(RightsAttachment)
        .where(RightsAttachment.post_id == post_id)
        .order_by(RightsAttachment.id)
    )
    return [AttachmentRead.model_validate(row) for row in rows]


def cite(
    session: Session, post_id: str, ids: Sequence[int], transition: RightsTransition
) -> list[dict[str, object]]:
    """Bind the attachments ``ids`` of the post to the decision ``transition``; each is cited
    by one decision only. Returns what the proof records of them."""
    wanted = list(dict.fromkeys(ids))
    rows = {
        row.id: row
        for row in session.scalars(
            select(RightsAttachment).where(RightsAttachment.id.in_(wanted)).with_for_update()
        )
    }
    cited = []
    for attachment_id in wanted:
        row = rows.get(attachment_id)
        if row is None or row.post_id != post_id:
            raise NotFound(f"post {post_id!r} has no rights attachment {attachment_id}")
        if row.transition_id is not None:
            raise Conflict(
                f"attachment {attachment_id} is already cited by another decision: upload it "
                "again for this one"
            )
        row.transition_id = transition.id
        cited.append(
            {
                "id": row.id,
                "filename": row.filename,
                "content_type": row.content_type,
                "size": row.size,
                "sha256": row.sha256,
            }
        )
    session.flush()
    return cited
