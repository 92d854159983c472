"""The Mastodon polling connector against a fake instance, alone, under the runner, and killed
at random points against the real broker."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract import PoisonMessage
from ingest.connectors.base import (
    AuthFailed,
    Budget,
    ConfigError,
    JobSpec,
    MalformedResponse,
    Unavailable,
)
from ingest.connectors.mastodon import MastodonConnector, timeline
from ingest.connectors.runner import PollingRunner
from listening import networks
from tests.ingest.fake_mastodon import FakeMastodon, make_status
from tests.ingest.ingest_fakes import FakeClock, MemoryPositions, RecordingProducer
from tests.ingest.polling_checks import connect, job_on
from tests.ingest.restart_harness import check_restarts_lose_nothing


@pytest.fixture
def server(clock: FakeClock) -> FakeMastodon:
    return FakeMastodon(now=clock.now)


def make_job(
    *,
    hashtags: tuple[str, ...] = ("brand",),
    credentials: dict[str, str] | None = None,
    **options: Any,
) -> JobSpec:
    return job_on(
        "mastodon", *hashtags, job_id="social.example", credentials=credentials, **options
    )


def make_connector(
    server: FakeMastodon,
    clock: FakeClock,
    *,
    credentials: dict[str, str] | None = None,
    **options: Any,
) -> MastodonConnector:
    options.setdefault("base_url", server.base_url)
    return connect(
        MastodonConnector, make_job(credentials=credentials, **options), server.client(), clock
    )


def ids_of(items: Any) -> list[str]:
    return [item["id"] for item in items]


# --- the network's description ---------------------------------------------------------------


def test_the_network_describes_its_options_and_needs_no_credentials() -> None:
    described = networks.describe("mastodon")

    assert described.network == "mastodon"
    assert described.required_credentials == ()
    assert described.optional_credentials == ("access_token",)
    # the polling connector's options, and the stream's own
    assert set(described.options) == {"base_url", "page_limit", "backfill_pages", "streaming_url"}
    assert all(described.options.values())


def test_defaults_to_the_public_instance_and_the_largest_page() -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json=[])

    connector = MastodonConnector.from_job(
        make_job(), client=httpx.Client(transport=httpx.MockTransport(handler))
    )

    result = connector.fetch("#Brand", None)

    assert (result.items, result.position, result.more) == ([], None, False)
    [request] = requests
    assert str(request.url) == "https://mastodon.social/api/v1/timelines/tag/brand?limit=40"
    assert "Authorization" not in request.headers


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"page_limit": 41}, "page_limit"),
        ({"page_limit": 0}, "page_limit"),
        ({"page_limit": "many"}, "page_limit"),
        ({"backfill_pages": 0}, "backfill_pages"),
        ({"base_url": "social.example"}, "base_url"),
        ({"base_url": "ftp://social.example"}, "base_url"),
    ],
)
def test_invalid_options_are_a_configuration_error_naming_the_option(
    options: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        MastodonConnector.from_job(make_job(**options), client=httpx.Client())


def test_options_given_as_text_are_accepted(server: FakeMastodon, clock: FakeClock) -> None:
    server.post_many(3)
    connector = make_connector(server, clock, page_limit="2", backfill_pages="1")

    assert len(connector.fetch("brand", None).items) == 2


# --- fetching ----------------------------------------------------------------------------------


def test_first_fetch_takes_the_newest_backfill_pages_oldest_first(
    server: FakeMastodon, clock: FakeClock
) -> None:
    ids = server.post_many(5)
    connector = make_connector(server, clock, page_limit=2, backfill_pages=2)

    result = connector.fetch("brand", None)

    assert ids_of(result.items) == ids[1:]
    assert result.position == ids[4]
    assert not result.more
    assert server.timeline_params == [{"limit": "2"}, {"limit": "2", "max_id": ids[3]}]


def test_later_fetches_page_forward_with_min_id_following_link_prev(
    server: FakeMastodon, clock: FakeClock
) -> None:
    first = server.post_many(2)
    new = server.post_many(5)
    connector = make_connector(server, clock, page_limit=2)

    result = connector.fetch("brand", first[1])

    assert ids_of(result.items) == new
    assert result.position == new[4]
    assert not result.more
    assert [p.get("min_id") for p in server.timeline_params] == [first[1], new[1], new[3], new[4]]


def test_ids_are_compared_by_length_then_text(server: FakeMastodon, clock: FakeClock) -> None:
    ids = server.post_many(6)  # the fake's ids cross from 17 to 18 digits here
    assert {len(i) for i in ids} == {17, 18}
    connector = make_connector(server, clock, page_limit=40)

    result = connector.fetch("brand", None)

    assert ids_of(result.items) == ids
    assert result.position == ids[-1]
    assert connector.fetch("brand", ids[2]).position == ids[-1]


def test_a_fetch_stops_after_max_pages_and_says_more_is_waiting(
    server: FakeMastodon, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timeline, "MAX_PAGES_PER_POLL", 2)
    [since] = server.post_many(1)
    new = server.post_many(5)
    connector = make_connector(server, clock, page_limit=2)

    first = connector.fetch("brand", since)
    second = connector.fetch("brand", first.position)

    assert (ids_of(first.items), first.position, first.more) == (new[:4], new[3], True)
    assert (ids_of(second.items), second.position, second.more) == (new[4:], new[4], False)


def test_the_runner_catches_up_on_a_backlog_in_one_poll(
    server: FakeMastodon, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timeline, "MAX_PAGES_PER_POLL", 2)
    producer = RecordingProducer()
    positions = MemoryPositions(producer)
    job = make_job(base_url=server.base_url, page_limit=2)
    connector = MastodonConnector.from_job(job, client=server.client(), now=clock.now)
    positions.save(("mastodon", job.job_id, "brand"), server.post_many(1)[0])
    new = server.post_many(9)

    assert PollingRunner(job, connector, producer, positions, now=clock.now).poll_once() == 9

    assert producer.native_ids == new
    assert [position for position, _ in positions.saves][1:] == [new[3], new[7], new[8]]


def test_nothing_new_asks_once_and_leaves_the_position(
    server: FakeMastodon, clock: FakeClock
) -> None:
    [since] = server.post_many(1)
    connector = make_connector(server, clock)

    result = connector.fetch("brand", since)

    assert (result.items, result.position, result.more) == ([], None, False)
    assert len(server.requests) == 1


@pytest.mark.parametrize("links", ["missing", "stuck"])
def test_a_page_without_a_forward_cursor_ends_the_fetch(
    server: FakeMastodon, clock: FakeClock, links: str
) -> None:
    [since] = server.post_many(1)
    new = server.post_many(3)
    server.links = links
    connector = make_connector(server, clock, page_limit=2)

    first = connector.fetch("brand", since)
    second = connector.fetch("brand", first.position)

    assert (ids_of(first.items), first.position, first.more) == (new[:2], new[1], False)
    assert ids_of(second.items) == new[2:]
    assert len(server.requests) == 2


def test_a_status_repeated_across_pages_is_returned_once(
    server: FakeMastodon, clock: FakeClock
) -> None:
    [since] = server.post_many(1)
    new = server.post_many(4)

    def overlapping(request: httpx.Request) -> httpx.Response:
        response = server.handle(request)
        if len(server.requests) == 2:  # the second page repeats the first page's newest status
            body = [*json.loads(response.content), server.statuses[2]]
            return httpx.Response(200, json=body, headers={"Link": response.headers["Link"]})
        return response

    connector = MastodonConnector.from_job(
        make_job(base_url=server.base_url, page_limit=2),
        client=httpx.Client(transport=httpx.MockTransport(overlapping)),
        now=clock.now,
    )

    assert ids_of(connector.fetch("brand", since).items) == new


def test_boosts_are_skipped_but_the_position_passes_them(
    server: FakeMastodon, clock: FakeClock
) -> None:
    original = server.post(acct="carol@remote.example")
    boost = server.post(status=make_status(id=server.next_id(), reblog=original, content=""))
    del boost["account"]  # a boost is skipped before it is validated
    connector = make_connector(server, clock)

    result = connector.fetch("brand", None)

    assert result.position == boost["id"]
    posts = [connector.normalize(item, "brand", clock.now()) for item in result.items]
    assert [post.native_id if post else None for post in posts] == [original["id"], None]


# --- normalizing ---------------------------------------------------------------------------------


def test_hashtags_are_the_polled_one_first_then_the_status_tags_and_the_text_ones(
    server: FakeMastodon, clock: FakeClock
) -> None:
    status = make_status(
        id="1",
        tags=["Shoes", "brand"],
        content='<p>New <a href="https://social.example/tags/shoes">#<span>Shoes</span></a> '
        "#RunFast! #2025 issue#3 &amp;#39; #café example.com/#anchor</p>",
    )
    connector = make_connector(server, clock)

    post = connector.normalize(status, "#Brand", clock.now())

    assert post is not None
    assert post.hashtags == ["brand", "shoes", "runfast", "café"]


def test_a_malformed_status_is_poison_and_keeps_its_id(
    server: FakeMastodon, clock: FakeClock
) -> None:
    status = make_status(id="77")
    del status["created_at"]
    connector = make_connector(server, clock)

    with pytest.raises(PoisonMessage, match="created_at"):
        connector.normalize(status, "brand", clock.now())
    assert connector.item_key(status) == "77"
    assert connector.item_key(["not", "a", "status"]) is None


# --- the instance's manners ------------------------------------------------------------------


def test_rate_limit_headers_become_the_budget_and_a_429_waits_for_the_reset(
    server: FakeMastodon, clock: FakeClock
) -> None:
    ids = server.post_many(2)
    connector = make_connector(server, clock)
    assert connector.budget() is None
    server.spend_rate_limit(reset_in_s=42)

    result = connector.fetch("brand", None)

    assert ids_of(result.items) == ids
    assert server.responses == [429, 200]
    assert clock.sleeps == [pytest.approx(42.0)]
    budget = connector.budget()
    assert isinstance(budget, Budget)
    assert (budget.remaining, budget.limit, budget.unit) == (299, 300, "requests")
    assert budget.resets_at is not None
    assert budget.resets_at > clock.now()


def test_an_instance_down_is_retried_with_backoff_then_unavailable(
    server: FakeMastodon, clock: FakeClock
) -> None:
    server.post_many(1)
    server.fail_next(503, times=5)
    connector = make_connector(server, clock)

    with pytest.raises(Unavailable, match="503"):
        connector.fetch("brand", None)
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0]


@pytest.mark.parametrize("body", [b"<html>Moved</html>", b'{"statuses": []}', b"[1, 2"])
def test_a_malformed_body_is_a_malformed_response(
    server: FakeMastodon, clock: FakeClock, body: bytes
) -> None:
    server.malform_next(body)
    connector = make_connector(server, clock)

    with pytest.raises(MalformedResponse):
        connector.fetch("brand", None)


def test_login_required_says_which_credential_and_never_echoes_the_token(
    clock: FakeClock,
) -> None:
    server = FakeMastodon(now=clock.now, requires_token="s3cret")
    server.post_many(1)
    wrong = make_connector(server, clock, credentials={"access_token": "wrong-t0ken"})

    with pytest.raises(AuthFailed, match=r"401.*access_token") as failure:
        wrong.fetch("brand", None)
    assert failure.value.status == 401
    assert "wrong-t0ken" not in str(failure.value)
    assert "wrong-t0ken" not in repr(wrong)

    right = make_connector(server, clock, credentials={"access_token": "s3cret"})
    assert len(right.fetch("brand", None).items) == 1
    assert server.requests[-1].headers["Authorization"] == "Bearer s3cret"


def test_not_found_says_what_to_check(server: FakeMastodon, clock: FakeClock) -> None:
    server.not_found_next()
    connector = make_connector(server, clock)

    with pytest.raises(ConfigError, match=r"404.*Record not found.*base_url.*social\.example"):
        connector.fetch("brand", None)


def test_unprocessable_says_to_check_the_hashtag(clock: FakeClock) -> None:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"error": "Validation failed: Name is invalid"})

    connector = MastodonConnector.from_job(
        make_job(), client=httpx.Client(transport=httpx.MockTransport(handler)), now=clock.now
    )

    with pytest.raises(ConfigError, match=r"422.*Name is invalid.*check the hashtag"):
        connector.fetch("brand", None)


def test_close_leaves_a_client_it_was_given_open(server: FakeMastodon) -> None:
    client = server.client()
    connector = MastodonConnector.from_job(make_job(base_url=server.base_url), client=client)

    connector.close()

    assert not client.is_closed


# --- restarts ------------------------------------------------------------------------------------


@pytest.mark.broker
def test_killed_at_random_points_the_topic_ends_with_every_post(
    broker: str, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small pages and fetches, so that crashes land between the fetches of one catch-up too.
    monkeypatch.setattr(timeline, "MAX_PAGES_PER_POLL", 2)
    server = FakeMastodon(now=clock.now)
    tag = f"restart{uuid.uuid4().hex[:10]}"
    job = job_on(
        "mastodon",
        tag,
        job_id=f"mastodon-restart-{tag}",
        base_url=server.base_url,
        page_limit=3,
        backfill_pages=100,
    )
    published: list[str] = []

    def publish(round_number: int) -> None:
        published.extend(server.post_many(1 + (round_number * 5) % 11, tags=[tag]))
        if round_number == 3:  # a boost and a broken status: handled, never on the topic
            original = server.statuses[-1]
            server.post(status=make_status(id=server.next_id(), tags=[tag], reblog=original))
            del server.post(tags=[tag])["account"]
        clock.advance(30)

    check_restarts_lose_nothing(
        bootstrap=broker,
        job=job,
        make_connector=lambda: connect(MastodonConnector, job, server.client(), clock),
        publish=publish,
        published=published,
        checkpoint_dir=tmp_path,
        rounds=10,
    )
    assert len(published) > 40
