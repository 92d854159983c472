"""Where the curation database is: ``UGC_DATABASE_URL``, declared once for every command that
opens it (the API, the sink, the migrations and the listening-jobs commands)."""

from __future__ import annotations

from pydantic import Field, field_validator

from contract.settings import BaseUgcSettings


class DatabaseSettings(BaseUgcSettings):
    database_url: str = Field(
        default="sqlite:///./ugc.db",
        description=(
            "SQLAlchemy URL of the database the API, the sink and the ingest jobs worker share: "
            "a SQLite file by default, `postgresql+psycopg://user:password@host/db` in production."
        ),
    )

    @field_validator("database_url")
    @classmethod
    def _psycopg_for_postgresql(cls, url: str) -> str:
        # `postgresql://` (what most hosts hand out) would select psycopg2, which is not a
        # dependency; psycopg 3 is.
        for scheme in ("postgresql://", "postgres://"):
            if url.startswith(scheme):
                return "postgresql+psycopg://" + url.removeprefix(scheme)
        return url
