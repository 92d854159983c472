"""What the widget's routes read and answer."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

REPORT_REASON_MAX = 500


class ReportCreate(BaseModel):
    """Body of ``POST /v1/feeds/{slug}/posts/{post_id}/report``."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=REPORT_REASON_MAX)
    ] = Field(
        description="What is wrong with the post, in the visitor's words (for the moderators).",
        examples=["This photo shows my child without my permission."],
    )


class ReportAccepted(BaseModel):
    """The post left the public feeds and waits in the moderation queue."""

    post_id: str
    status: Literal["pending"] = Field(
        default="pending", description="The post's moderation status now."
    )


class EmbedSnippet(BaseModel):
    """What a site owner pastes to show a feed: the script and its element, or the iframe for
    pages that allow no script."""

    script: str = Field(examples=['<script src="https://api.example/widget.js" async></script>'])
    element: str = Field(
        examples=['<ugc-feed feed="trailpeak" layout="grid" limit="12"></ugc-feed>']
    )
    iframe: str = Field(
        examples=['<iframe src="https://api.example/embed/trailpeak" title="…"></iframe>']
    )
    layouts: list[Literal["grid", "masonry", "carousel"]] = Field(
        default=["grid", "masonry", "carousel"],
        description="Values of the element's `layout` attribute.",
    )
