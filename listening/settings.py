"""Where listening jobs' secrets are: ``UGC_SECRETS_FILE``, declared once for the API (which
shows which names are set) and the ingest commands (which read them when a job starts)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from contract.settings import BaseUgcSettings


class SecretsSettings(BaseUgcSettings):
    secrets_file: Path | None = Field(
        default=None,
        description=(
            "JSON or TOML file (or a directory of files) with listening jobs' secrets per "
            "credentials reference; `UGC_CRED_<REF>_<NAME>` variables win over it."
        ),
    )
