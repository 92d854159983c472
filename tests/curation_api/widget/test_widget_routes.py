"""The widget's routes on the database: the script-free embed page, the snippets moderators
copy, and visitors' reports of posts."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from contract import Platform
from curation_api.app import create_app
from curation_api.settings import ApiSettings
from tests.curation_api.curation_factories import MODERATOR, MODERATOR_KEY, scored_post, store
from tests.curation_api.rights_factories import put_brand
from tests.curation_api.widget.widget_factories import (
    HOSTILE_PERMALINK,
    HOSTILE_TEXT,
    actions,
    hostile_post,
    moderate,
    publish,
    put_feed,
    status_of,
)

REASON = "This is my photo and I never agreed to this."


@pytest.fixture(autouse=True)
def feed(client: TestClient) -> None:
    put_brand(client, hashtags=("trailpeak", "other"))
    put_feed(client, "trailpeak", hashtags=["trailpeak"])


def post(**fields: Any) -> Any:
    return scored_post(hashtags=["trailpeak"], **fields)


def report(
    client: TestClient, post_id: str, body: object = None, *, slug: str = "trailpeak"
) -> httpx.Response:
    response: httpx.Response = client.post(
        f"/v1/feeds/{slug}/posts/{post_id}/report",
        json={"reason": REASON} if body is None else body,
    )
    return response


def public_ids(client: TestClient) -> list[str]:
    return [item["post_id"] for item in client.get("/v1/feeds/trailpeak/posts").json()["items"]]


# --- The embed page -------------------------------------------------------------------------


def test_the_embed_page_shows_the_feed_without_any_script(
    client: TestClient, session: Session
) -> None:
    shown, _hostile = publish(
        client, session, post(text="Summit at dawn"), hostile_post(hashtags=["trailpeak"])
    )
    _pending, rejected = store(session, post(text="Still pending"), post(text="Turned down"))
    moderate(client, rejected.post_id, "reject")
    unlicensed = post(text="No rights yet")
    store(session, unlicensed)
    moderate(client, unlicensed.post_id, "approve")

    response = client.get("/embed/trailpeak")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = response.text
    assert "Summit at dawn" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert HOSTILE_TEXT not in page
    assert "<script" not in page.lower()
    assert HOSTILE_PERMALINK not in page
    assert f'href="{shown.permalink}"' in page
    for hidden in ("Still pending", "Turned down", "No rights yet"):
        assert hidden not in page


def test_every_image_of_the_embed_page_has_alt_text_and_loads_lazily(
    client: TestClient, session: Session
) -> None:
    publish(client, session, post(author_handle="bea@trail.example"))

    page = client.get("/embed/trailpeak").text

    (img,) = re.findall(r"<img [^>]*>", page)
    assert 'alt="shoes"' in img  # the post's own alt text
    assert 'loading="lazy"' in img
    assert "@bea@trail.example" in page


def test_the_embed_page_may_be_framed_by_any_site_under_a_strict_policy(
    client: TestClient,
) -> None:
    response = client.get("/embed/trailpeak")

    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors *" in policy
    assert "script-src" not in policy  # default-src 'none' forbids every script
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/]+=*'", policy)
    assert "X-Frame-Options" not in response.headers


def test_the_embed_page_links_to_its_next_page(client: TestClient, session: Session) -> None:
    publish(client, session, *(post(text=f"Post number {n}") for n in range(3)))

    first = client.get("/embed/trailpeak", params={"limit": 2}).text
    (href,) = re.findall(r'<a href="(\?cursor=[^"]+)" rel="next">', first)
    second = client.get("/embed/trailpeak" + href.replace("&amp;", "&")).text

    shown = re.findall(r"Post number \d", first + second)
    assert sorted(shown) == ["Post number 0", "Post number 1", "Post number 2"]
    assert 'rel="next"' not in second


def test_head_of_the_embed_page_answers_its_headers(client: TestClient) -> None:
    response = client.head("/embed/trailpeak")
    assert response.status_code == 200
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]


def test_an_unknown_feed_or_a_bad_cursor_is_an_html_error_page(client: TestClient) -> None:
    missing = client.get("/embed/nope")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("text/html")
    assert "no feed &#x27;nope&#x27;" in missing.text

    bad = client.get("/embed/trailpeak", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400
    assert bad.headers["Content-Type"].startswith("text/html")


# --- The snippets ---------------------------------------------------------------------------


def test_the_snippets_point_at_the_address_the_request_came_to(client: TestClient) -> None:
    response = client.get("/v1/feeds/trailpeak/embed", headers=MODERATOR)

    assert response.status_code == 200
    snippet = response.json()
    assert snippet["script"] == '<script src="http://testserver/widget.js" async></script>'
    assert snippet["element"] == ('<ugc-feed feed="trailpeak" layout="grid" limit="12"></ugc-feed>')
    assert snippet["iframe"].startswith('<iframe src="http://testserver/embed/trailpeak" ')
    assert 'title="Trail Peak"' in snippet["iframe"]


def test_the_snippets_use_the_public_base_url_when_it_is_set(
    database_url: str, sessions: sessionmaker[Session], client: TestClient
) -> None:
    del client  # the autouse fixture made the feed through it
    settings = ApiSettings(
        database_url=database_url,
        moderator_api_key=MODERATOR_KEY,
        public_base_url="https://ugc.example/api/",
    )
    with TestClient(create_app(settings, sessions=sessions)) as other:
        snippet = other.get("/v1/feeds/trailpeak/embed", headers=MODERATOR).json()

    assert snippet["script"] == '<script src="https://ugc.example/api/widget.js" async></script>'
    assert 'src="https://ugc.example/api/embed/trailpeak"' in snippet["iframe"]


def test_the_snippets_need_the_moderator_key_and_a_feed(client: TestClient) -> None:
    assert client.get("/v1/feeds/trailpeak/embed").status_code == 401
    assert client.get("/v1/feeds/nope/embed", headers=MODERATOR).status_code == 404


# --- Reports --------------------------------------------------------------------------------


def test_a_reported_post_goes_back_to_the_queue_with_the_reason(
    client: TestClient, session: Session
) -> None:
    (shown,) = publish(client, session, post())

    response = report(client, shown.post_id)

    assert response.status_code == 202
    assert response.json() == {"post_id": shown.post_id, "status": "pending"}
    assert status_of(client, shown.post_id) == "pending"
    last = actions(client, shown.post_id)[-1]
    assert (last["action"], last["actor"], last["note"]) == ("report", "public report", REASON)
    assert shown.post_id not in public_ids(client)
    queue = client.get("/v1/queue", headers=MODERATOR).json()["items"]
    assert shown.post_id in [item["post_id"] for item in queue]


def test_a_post_with_slashes_in_its_id_can_be_reported(
    client: TestClient, session: Session
) -> None:
    native = "at://did:plc:abc/app.bsky.feed.post/3kxyz"
    (shown,) = publish(client, session, post(platform=Platform.BLUESKY, native_id=native))

    response = report(client, shown.post_id.replace("/", "%2F"))

    assert response.status_code == 202, response.text
    assert status_of(client, shown.post_id) == "pending"


def test_only_a_post_the_feed_shows_can_be_reported(client: TestClient, session: Session) -> None:
    (elsewhere,) = publish(client, session, scored_post(hashtags=["other"]))
    (pending,) = store(session, post())
    (shown,) = publish(client, session, post())

    assert report(client, pending.post_id).status_code == 404
    assert report(client, elsewhere.post_id).status_code == 404
    assert report(client, "mastodon:does-not-exist").status_code == 404
    assert report(client, shown.post_id, slug="nope").status_code == 404
    assert status_of(client, elsewhere.post_id) == "approved"
    assert report(client, shown.post_id).status_code == 202
    assert report(client, shown.post_id).status_code == 404  # no longer shown


def test_a_feed_that_needs_no_rights_lets_its_approved_posts_be_reported(
    client: TestClient, session: Session
) -> None:
    put_feed(client, "wall", hashtags=["trailpeak"], requires_rights=False)
    (approved,) = store(session, post())
    moderate(client, approved.post_id, "approve")

    assert report(client, approved.post_id).status_code == 404  # trailpeak needs rights
    assert report(client, approved.post_id, slug="wall").status_code == 202


@pytest.mark.parametrize(
    "body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}, {"reason": "a", "b": 1}]
)
def test_a_report_needs_a_reason_of_1_to_500_characters(
    client: TestClient, session: Session, body: dict[str, object]
) -> None:
    (shown,) = publish(client, session, post())

    assert report(client, shown.post_id, body).status_code == 422
    assert status_of(client, shown.post_id) == "approved"


def test_one_address_may_send_ten_reports_a_minute(client: TestClient) -> None:
    answers = [report(client, f"mastodon:{n}").status_code for n in range(10)]
    limited = report(client, "mastodon:10")

    assert answers == [404] * 10
    assert limited.status_code == 429
    assert "10 reports per 60 seconds" in limited.json()["detail"]
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


def test_browsers_on_other_sites_may_post_reports(client: TestClient, session: Session) -> None:
    (shown,) = publish(client, session, post())
    origin = {"Origin": "https://shop.example"}
    path = f"/v1/feeds/trailpeak/posts/{shown.post_id}/report"

    preflight = client.options(
        path,
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    response = client.post(path, json={"reason": REASON}, headers=origin)

    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert response.status_code == 202
    assert response.headers["Access-Control-Allow-Origin"] == "*"
