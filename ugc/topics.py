"""``ugc topics create``: create the pipeline's topics on the configured broker."""

from __future__ import annotations

import click

from contract.settings import KafkaSettings
from contract.topics import create_topics, wait_for_broker


@click.group(name="topics")
def topics_group() -> None:
    """Kafka topics of the pipeline."""


@topics_group.command(name="create")
@click.option("--partitions", type=int, default=None, help="Override UGC_TOPIC_PARTITIONS.")
@click.option(
    "--wait",
    "wait_s",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds to wait for the broker to answer.",
)
def create_command(partitions: int | None, wait_s: float) -> None:
    """Create ugc.posts.raw, ugc.posts.scored and ugc.posts.dlq if they do not exist."""
    settings = KafkaSettings()
    if partitions is not None:
        settings = settings.model_copy(update={"topic_partitions": partitions})
    wait_for_broker(settings.kafka_bootstrap_servers, timeout=wait_s)
    created = create_topics(settings)
    click.echo(f"created: {', '.join(created)}" if created else "all topics already exist")
