"""``ugc rights request|sent|decide|revoke|show|inbox|proof`` against a real migrated database:
the same rules as the HTTP routes, one transaction per command, errors as messages."""

from __future__ import annotations

import getpass
import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from curation_api.rights import brands
from curation_api.rights.schemas import BrandUpdate, TermsCreate
from database.models import RightsAttachment
from tests.curation_api.curation_factories import T0, scored_post, store
from ugc.cli import cli

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
BASE_URL = "http://ugc.test"

Run = Callable[..., Result]


@pytest.fixture
def run(database_url: str) -> Run:
    """``ugc rights ARGS...`` on the test's database."""
    runner = CliRunner(
        env={"UGC_DATABASE_URL": database_url, "UGC_RIGHTS_PUBLIC_BASE_URL": BASE_URL}
    )

    def run(*args: str) -> Result:
        return runner.invoke(cli, ["rights", *args])

    return run


def brand_post(
    sessions: sessionmaker[Session], *, terms: bool = True, **brand: Any
) -> tuple[str, str]:
    """A new post carrying a new brand's hashtag (the brand with terms unless told); returns
    the post id and the brand's slug. Commits."""
    tag = f"brew{uuid.uuid4().hex[:10]}"
    with sessions() as session:
        (post,) = store(session, scored_post(native_id=uuid.uuid4().hex, hashtags=[tag]))
        body = {"name": "BrewNorth", "hashtags": [tag], "approval_hashtag": "#YesBrewNorth"}
        brands.put_brand(session, tag, BrandUpdate.model_validate(body | brand), T0)
        if terms:
            brands.create_terms(session, tag, TermsCreate(text="You allow us to show it."), T0)
        session.commit()
    return post.post_id, tag


def one_json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def attachments_of(sessions: sessionmaker[Session], post_id: str) -> int:
    with sessions() as session:
        where = RightsAttachment.post_id == post_id
        return session.scalar(select(func.count()).where(where)) or 0


def test_a_post_is_requested_sent_granted_with_a_screenshot_and_revoked(
    run: Run, committed: sessionmaker[Session], tmp_path: Path
) -> None:
    post_id, tag = brand_post(committed)
    shot = tmp_path / "dm-screenshot.png"
    shot.write_bytes(PNG)

    queued = one_json(run("request", post_id))
    assert queued["state"] == "queued"
    assert f"{BASE_URL}/terms/{tag}/1" in queued["request_text"]
    sent = one_json(run("sent", post_id, "--permalink", "https://x.test/1", "--as", "ops"))
    assert sent["state"] == "awaiting_reply"
    grant = ("--decision", "granted", "--note", "yes in a DM", "--attach", str(shot))
    granted = run("decide", post_id, *grant, "--as", "cli:ops")
    assert one_json(granted)["state"] == "granted"
    assert "sha256 " + hashlib.sha256(PNG).hexdigest() in granted.stderr

    proof = one_json(run("proof", post_id))
    (cited,) = proof["record"]["consent"]["attachments"]
    assert (cited["filename"], cited["content_type"]) == ("dm-screenshot.png", "image/png")
    assert cited["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert proof["record"]["consent"]["recorded_by"]["name"] == "cli:ops"
    page = run("proof", post_id, "--html")
    assert page.exit_code == 0
    assert proof["sha256"] in page.stdout

    revoked = one_json(run("revoke", post_id, "--note", "asked by e-mail", "--as", "ops"))
    assert revoked["state"] == "revoked"
    history = one_json(run("show", post_id))
    assert [(t["to_state"], t["actor"]) for t in history["transitions"]] == [
        ("queued", f"cli:{getpass.getuser()}"),
        ("awaiting_reply", "cli:ops"),
        ("granted", "cli:ops"),
        ("revoked", "cli:ops"),
    ]
    assert {t["actor_kind"] for t in history["transitions"]} == {"moderator"}
    (attachment,) = history["attachments"]
    assert attachment["uploaded_by"] == "cli:ops"
    assert attachment["transition_id"] == history["transitions"][2]["id"]
    assert one_json(run("proof", post_id))["state"] == "revoked"  # the proof outlives it


def test_the_inbox_lists_requests_in_the_given_states_page_by_page(
    run: Run, committed: sessionmaker[Session]
) -> None:
    first, _ = brand_post(committed)
    second, _ = brand_post(committed)
    third, _ = brand_post(committed)
    assert run("request", first, second, third).exit_code == 0
    assert run("sent", second).exit_code == 0

    waiting = run("inbox", "--state", "awaiting_reply")
    assert [json.loads(line)["post_id"] for line in waiting.stdout.splitlines()] == [second]
    assert "next cursor" not in waiting.stderr

    seen: list[str] = []
    cursor: list[str] = []
    while True:
        page = run("inbox", "--state", "queued,awaiting_reply", "--limit", "2", *cursor)
        assert page.exit_code == 0, page.output
        seen += [json.loads(line)["post_id"] for line in page.stdout.splitlines()]
        if "next cursor: " not in page.stderr:
            break
        cursor = ["--cursor", page.stderr.split("next cursor: ")[1].strip()]
    assert sorted(seen) == sorted([first, second, third])
    assert seen[0] == second  # most recently changed first

    unknown = run("inbox", "--state", "queued,nope")
    assert unknown.exit_code == 2
    assert "'nope': not a state; one of draft, queued" in unknown.stderr


def test_a_move_the_states_do_not_allow_prints_the_conflict_and_exits_1(
    run: Run, committed: sessionmaker[Session]
) -> None:
    post_id, _ = brand_post(committed)
    assert run("request", post_id).exit_code == 0

    again = run("request", post_id)
    assert again.exit_code == 1
    assert f"cannot request the rights of {post_id!r}: they are queued" in again.stderr
    revoked = run("revoke", post_id)
    assert revoked.exit_code == 1
    assert "cannot revoke the rights" in revoked.stderr
    assert "Traceback" not in revoked.output


def test_an_unknown_post_exits_1_and_the_other_posts_go_on(
    run: Run, committed: sessionmaker[Session]
) -> None:
    post_id, _ = brand_post(committed)

    shown = run("show", "mastodon:nope")
    assert shown.exit_code == 1
    assert "no post with id 'mastodon:nope'" in shown.stderr
    assert isinstance(shown.exception, SystemExit)  # click's exit, not an error's traceback
    assert "Traceback" not in shown.output

    both = run("request", "mastodon:nope", post_id)
    assert both.exit_code == 1
    assert [json.loads(line)["post_id"] for line in both.stdout.splitlines()] == [post_id]
    assert "mastodon:nope: no post with id" in both.stderr
    assert "1 of 2 post(s) failed" in both.stderr


def test_a_refused_decision_stores_none_of_its_attachments(
    run: Run, committed: sessionmaker[Session], tmp_path: Path
) -> None:
    post_id, tag = brand_post(committed, terms=False)
    shot = tmp_path / "shot.png"
    shot.write_bytes(PNG)

    result = run("decide", post_id, "--decision", "granted", "--brand", tag, "--attach", str(shot))

    assert result.exit_code == 1
    assert f"brand {tag!r} has no terms version 1" in result.stderr
    assert attachments_of(committed, post_id) == 0  # rolled back with the decision


def test_an_attachment_of_the_wrong_type_is_refused_by_its_bytes(
    run: Run, committed: sessionmaker[Session], tmp_path: Path
) -> None:
    post_id, tag = brand_post(committed)
    fake = tmp_path / "shot.png"
    fake.write_text("<html><script>alert(1)</script></html>", encoding="utf-8")
    nameless = tmp_path / "shot"
    nameless.write_bytes(PNG)
    decide = ("decide", post_id, "--decision", "granted", "--brand", tag)

    wrong = run(*decide, "--attach", str(fake))
    assert wrong.exit_code == 1
    assert f"{fake}: the file's bytes are not image/png" in wrong.stderr
    untyped = run(*decide, "--attach", str(nameless))
    assert untyped.exit_code == 2
    assert "give --attach-type" in untyped.stderr
    assert attachments_of(committed, post_id) == 0

    typed = run(*decide, "--attach", str(nameless), "--attach-type", "image/png")
    assert one_json(typed)["state"] == "granted"
    assert attachments_of(committed, post_id) == 1


def test_ends_at_none_is_open_ended_and_left_out_is_the_brands_window(
    run: Run, committed: sessionmaker[Session]
) -> None:
    windowed, tag = brand_post(committed, default_window_days=30)
    open_ended, other = brand_post(committed, default_window_days=30)
    grant = ("--decision", "granted", "--starts-at", "2030-01-01T00:00:00+00:00")

    by_default = one_json(run("decide", windowed, *grant, "--brand", tag))
    assert by_default["starts_at"] == "2030-01-01T00:00:00Z"
    assert datetime.fromisoformat(by_default["ends_at"]) == datetime.fromisoformat(
        by_default["starts_at"]
    ) + timedelta(days=30)
    unbounded = one_json(run("decide", open_ended, *grant, "--brand", other, "--ends-at", "none"))
    assert unbounded["ends_at"] is None


def test_an_option_value_the_body_refuses_is_a_usage_error(
    run: Run, committed: sessionmaker[Session]
) -> None:
    post_id, _ = brand_post(committed)

    scope = run("decide", post_id, "--decision", "granted", "--scope", "website,tv")
    assert scope.exit_code == 2
    assert "--scope: Input should be 'website', 'social', 'ads' or 'email'" in scope.stderr
    naive = run("decide", post_id, "--decision", "granted", "--starts-at", "2030-01-01T00:00")
    assert naive.exit_code == 2
    assert "--starts-at: Input should have timezone info" in naive.stderr
    nobody = run("request", post_id, "--as", "cli:")
    assert nobody.exit_code == 2
    assert "--as" in nobody.stderr
    assert attachments_of(committed, post_id) == 0
