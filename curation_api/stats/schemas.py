"""What the stats and health endpoints return."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from contract import RiskLevel
from database.models import PostStatus


class StatsRead(BaseModel):
    total: int = Field(description="Posts stored.")
    by_status: dict[PostStatus, int] = Field(description="Every status, zero included.")
    by_risk: dict[RiskLevel, int] = Field(description="Every risk level, zero included.")
    latest_scored_at: AwareDatetime | None = Field(description="Newest classifier verdict.")
    latest_ingested_at: AwareDatetime | None = Field(description="Newest row the sink wrote.")


class HealthRead(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]
