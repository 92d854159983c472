"""``GET /widget.js``: the file as it is in the repository, cacheable, loadable from any site."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from curation_api.app import create_app
from curation_api.settings import ApiSettings
from curation_api.widget.asset import WIDGET_SCRIPT, read_widget_script

MAX_GZIPPED_BYTES = 15 * 1024


@pytest.fixture(scope="module")
def client() -> TestClient:
    # Serving the script touches no database: the SQLite URL is never opened.
    return TestClient(create_app(ApiSettings(database_url="sqlite:///unused.db")))


def test_the_script_is_served_as_is_with_a_strong_etag_of_its_bytes(client: TestClient) -> None:
    response = client.get("/widget.js")

    assert response.status_code == 200
    assert response.content == WIDGET_SCRIPT.read_bytes()
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert response.headers["ETag"] == f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("sent", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_a_matching_if_none_match_is_304_without_a_body(client: TestClient, sent: str) -> None:
    etag = client.get("/widget.js").headers["ETag"]

    response = client.get("/widget.js", headers={"If-None-Match": sent.format(etag=etag)})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == "public, max-age=300"


def test_another_version_in_if_none_match_gets_the_script(client: TestClient) -> None:
    response = client.get("/widget.js", headers={"If-None-Match": '"an-older-version"'})
    assert response.status_code == 200
    assert response.content == WIDGET_SCRIPT.read_bytes()


def test_head_answers_the_headers_of_get(client: TestClient) -> None:
    response = client.head("/widget.js")
    assert response.status_code == 200
    assert response.headers["ETag"] == client.get("/widget.js").headers["ETag"]


def test_the_script_stays_small() -> None:
    size = len(gzip.compress(WIDGET_SCRIPT.read_bytes(), compresslevel=9))
    print(f"\nwidget.js: {WIDGET_SCRIPT.stat().st_size} bytes, {size} bytes gzipped")
    assert size < MAX_GZIPPED_BYTES


# What would turn a post's text into markup or code, or break a strict Content-Security-Policy.
FORBIDDEN = (
    "innerHTML",
    "outerHTML",
    "insertAdjacentHTML",
    "document.write",
    "eval(",
    "new Function",
    "onerror=",
    "onclick=",
    'setAttribute("on',
    "prompt(",
)


def test_the_script_uses_no_markup_sink_inline_handler_or_eval() -> None:
    source = WIDGET_SCRIPT.read_text()
    assert [sink for sink in FORBIDDEN if sink in source] == []


def test_a_changed_file_gets_another_etag(tmp_path: Path) -> None:
    changed = tmp_path / "ugc-feed.js"
    changed.write_bytes(WIDGET_SCRIPT.read_bytes() + b"\n")

    served, edited = read_widget_script(), read_widget_script(changed)

    assert served.etag != edited.etag
    assert edited.matches(edited.etag)
    assert not edited.matches(served.etag)
    assert not edited.matches(None)
