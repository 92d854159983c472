"""Settings of the ingest deployable: where its listening jobs are and how they run.

Loaded once from ``UGC_*`` environment variables by the CLI and passed down; connectors never
read the environment themselves. Listening jobs live in the curation database, so the ingest
commands read the same ``UGC_DATABASE_URL`` (:class:`~database.settings.DatabaseSettings`) and
``UGC_SECRETS_FILE`` (:class:`~listening.settings.SecretsSettings`) as the API.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from contract.settings import KafkaSettings
from database.settings import DatabaseSettings
from listening.networks import DEFAULT_STATE_DIR
from listening.settings import SecretsSettings


class IngestSettings(KafkaSettings, DatabaseSettings, SecretsSettings):
    state_dir: Path = Field(
        default=DEFAULT_STATE_DIR,
        description=(
            "Directory of what listening jobs keep besides their positions: Instagram's hashtag "
            "budget (one file per account) and YouTube's daily quota (one per API key). Given to "
            "jobs whose `state_dir` option is not set."
        ),
    )
    replay_rate: float = Field(
        default=20.0,
        ge=0,
        description="Posts per second when replaying a JSONL file; 0 means as fast as possible.",
    )
    jobs_reload_interval_s: float = Field(
        default=5.0,
        gt=0,
        description=(
            "Seconds between two reads of the listening jobs by `ugc ingest run`: added, changed "
            "and deleted jobs are picked up this often, without a restart."
        ),
    )
