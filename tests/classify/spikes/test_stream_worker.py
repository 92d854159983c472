"""The spike stream process on a real broker: bursts become one incident's messages, a restart
keeps the baselines, a snooze silences, poison goes to the dead-letter topic."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import click
import pytest
from sqlalchemy.orm import Session

from classify.spikes.settings import SpikeSettings
from classify.spikes.worker import REPARTITION_TOPIC, check_repartition_topic
from contract import DLQ_TOPIC, SCORED_TOPIC, AlertKind, DeadLetter, decode, utcnow
from contract.settings import KafkaSettings
from contract.topics import create_topics
from database.engine import create_db_engine
from database.migrate import upgrade
from database.models import AlertSetting
from tests.classify.spikes.spikes_process import (
    STATE_CHANGELOG,
    SpikesProcess,
    TopicReader,
    alerts_of,
    produce,
    scored,
    wait_processed,
)
from tests.classify.spikes.stream_factories import BUCKET_S, T0, background, burst
from tests.conftest import wait_until
from ugc.broker import EmbeddedBroker

pytestmark = pytest.mark.broker

WARM = background(T0, 36)
BURST = burst(T0 + 36 * BUCKET_S, 60, minutes=12)
AFTER = background(T0 + 40 * BUCKET_S, 12)


@pytest.fixture
def bootstrap(tmp_path: Path) -> Iterator[str]:
    """A broker of the test's own: the stream's group and tables start empty."""
    try:
        broker = EmbeddedBroker(log_path=tmp_path / "tansu.log")
        broker.start(timeout=30)
    except Exception as exc:
        pytest.skip(f"the embedded Kafka broker is not available ({exc})")
    try:
        create_topics(
            KafkaSettings(kafka_bootstrap_servers=broker.bootstrap_servers, topic_partitions=1)
        )
        yield broker.bootstrap_servers
    finally:
        broker.stop()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    upgrade(url)
    return url


def test_a_burst_fires_once_updates_boundedly_and_resolves_after_quiet(
    bootstrap: str, database_url: str, tmp_path: Path
) -> None:
    alerts = TopicReader(bootstrap, "ugc.alerts")
    quiet = {"UGC_SPIKES_QUIET_AFTER_S": "3", "UGC_SPIKES_QUIET_RATE": "600"}
    with SpikesProcess(bootstrap, database_url, tmp_path / "spikes.log", **quiet) as spikes:
        produce(bootstrap, SCORED_TOPIC, scored([*WARM, *BURST], hashtag="trailpeak"))

        # Nobody posts after the burst: the quiet-period timer closes its buckets.
        def resolved() -> bool:
            spikes.assert_running()
            sent = alerts_of(alerts, "trailpeak")
            return bool(sent) and sent[-1].kind is AlertKind.RESOLVED

        wait_until(resolved, timeout=120, message="the burst resolved")
    sent = alerts_of(alerts, "trailpeak")
    alerts.close()

    kinds = [a.kind for a in sent]
    assert kinds[0] is AlertKind.FIRED
    assert kinds.count(AlertKind.FIRED) == 1
    assert kinds.count(AlertKind.UPDATED) <= 4
    assert {a.alert_id for a in sent} == {sent[0].alert_id}
    assert [a.sequence for a in sent] == list(range(1, len(sent) + 1))
    assert sent[0].negative_count >= 10
    assert sent[0].top_posts


def test_a_restart_keeps_the_baselines_and_a_burst_across_it_fires_once(
    bootstrap: str, database_url: str, tmp_path: Path
) -> None:
    alerts = TopicReader(bootstrap, "ugc.alerts")
    changelog = TopicReader(bootstrap, STATE_CHANGELOG)
    first_half, second_half = BURST[:6], BURST[6:]
    with SpikesProcess(bootstrap, database_url, tmp_path / "first.log") as spikes:
        sent = produce(bootstrap, SCORED_TOPIC, scored([*WARM, *first_half], hashtag="trailpeak"))
        wait_processed(changelog, "trailpeak", sent, spikes)
    assert alerts_of(alerts, "trailpeak") == []

    with SpikesProcess(bootstrap, database_url, tmp_path / "second.log") as spikes:
        produce(bootstrap, SCORED_TOPIC, scored([*second_half, *AFTER], hashtag="trailpeak"))

        def resolved() -> bool:
            spikes.assert_running()
            got = alerts_of(alerts, "trailpeak")
            return bool(got) and got[-1].kind is AlertKind.RESOLVED

        wait_until(resolved, timeout=120, message="the burst across the restart resolved")
    kinds = [a.kind for a in alerts_of(alerts, "trailpeak")]
    alerts.close()
    changelog.close()

    # Had the baselines been lost, the detector would still be warming up: no alert at all.
    assert kinds.count(AlertKind.FIRED) == 1
    assert kinds[-1] is AlertKind.RESOLVED


def test_a_snoozed_hashtag_sends_nothing_and_poison_goes_to_the_dead_letter_topic(
    bootstrap: str, database_url: str, tmp_path: Path
) -> None:
    engine = create_db_engine(database_url)
    with Session(engine) as session, session.begin():
        session.add(
            AlertSetting(
                hashtag="snoozed", snoozed_until=utcnow() + timedelta(hours=1), updated_at=utcnow()
            )
        )
    engine.dispose()
    alerts = TopicReader(bootstrap, "ugc.alerts")
    changelog = TopicReader(bootstrap, STATE_CHANGELOG)
    dead = TopicReader(bootstrap, DLQ_TOPIC)
    with SpikesProcess(bootstrap, database_url, tmp_path / "spikes.log") as spikes:
        produce(bootstrap, SCORED_TOPIC, [(b"bad-1", b"<html>not a post</html>")])
        sent = produce(bootstrap, SCORED_TOPIC, scored([*WARM, *BURST], hashtag="snoozed"))
        wait_processed(changelog, "snoozed", sent, spikes)
        letters = wait_until(
            lambda: [decode(DeadLetter, value) for _, value in dead.read()],
            timeout=60,
            message="the dead letter",
        )
        assert alerts_of(alerts, "snoozed") == []
    alerts.close()
    changelog.close()
    dead.close()

    assert [(letter.stage, letter.original) for letter in letters] == [
        ("spikes", b"<html>not a post</html>")
    ]
    assert "not valid UTF-8 JSON" in letters[0].reason


def test_a_repartition_topic_with_another_partition_count_is_refused_with_what_to_do(
    bootstrap: str,
) -> None:
    one = KafkaSettings(kafka_bootstrap_servers=bootstrap, topic_partitions=1)
    create_topics(one, [REPARTITION_TOPIC])

    check_repartition_topic(SpikeSettings(kafka_bootstrap_servers=bootstrap, topic_partitions=1))
    with pytest.raises(click.ClickException, match="has 1 partitions but UGC_TOPIC_PARTITIONS"):
        check_repartition_topic(
            SpikeSettings(kafka_bootstrap_servers=bootstrap, topic_partitions=2)
        )
