"""Real Chromium against the real API: the API under uvicorn on a migrated SQLite database, a
customer site on another origin that embeds the widget, and posts published through the API.

Chromium is Debian's (``apt-get install chromium``; ``playwright install`` downloads nothing
here); without it the tests skip locally and fail under ``UGC_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Response,
    Route,
    sync_playwright,
)
from sqlalchemy.orm import Session

from contract import ScoredPost
from curation_api.app import create_app
from curation_api.settings import ApiSettings
from database.engine import create_db_engine, create_session_factory
from tests.conftest import service_missing
from tests.curation_api.curation_factories import MODERATOR_KEY, T0, scored_post, store
from tests.curation_api.rights_factories import put_brand
from tests.curation_api.widget.widget_factories import (
    hostile_post,
    moderate,
    publish,
    put_feed,
    with_image,
)
from tests.ingest.jobs_fakes import migrated_sqlite_url
from tests.widget.servers import ApiServer, SiteServer


@dataclass
class Site:
    """The running servers and what was published: ``shown`` newest first, as the feed has it."""

    api_url: str
    site_url: str
    client: TestClient
    shown: list[ScoredPost]
    hostile: ScoredPost
    hidden: list[ScoredPost]
    reportable: ScoredPost

    def widget_page(self, **attributes: str) -> str:
        query = "&".join(f"{name}={value}" for name, value in attributes.items())
        return f"{self.site_url}/widget.html?{query}"


@dataclass
class Visit:
    """A page in its own browser context, with everything that went wrong on it."""

    page: Page
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url')})")

    def on_response(self, response: Response) -> None:
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status}: {response.url}")

    def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        service_missing("Chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = migrated_sqlite_url(tmp_path_factory.mktemp("widget"))
    settings = ApiSettings(database_url=url, moderator_api_key=MODERATOR_KEY)
    customer = SiteServer()
    api = ApiServer(create_app(settings))
    customer.api_url = api.url
    customer.start()
    api.start()
    engine = create_db_engine(url)
    # A second app on the same database publishes and checks, as a moderator's client would.
    client = TestClient(create_app(settings))
    try:
        with create_session_factory(engine)() as session:
            yield _publish(client, session, api_url=api.url, site_url=customer.url)
    finally:
        client.close()
        api.stop()
        customer.stop()
        engine.dispose()


def _publish(client: TestClient, session: Session, *, api_url: str, site_url: str) -> Site:
    put_brand(client, hashtags=("trailpeak", "reportme"))
    put_feed(client, "trailpeak", hashtags=["trailpeak"])
    put_feed(client, "reportable", hashtags=["reportme"], title="Reportable")

    def post(minute: int, text: str, **fields: str) -> ScoredPost:
        made = scored_post(
            hashtags=["trailpeak"], text=text, created_at=T0 + timedelta(minutes=minute)
        )
        return with_image(made, f"{site_url}/img/{made.native_id}.png", **fields)

    shown = publish(
        client,
        session,
        *(post(10 - n, f"Trail post {n}") for n in range(4)),
        post(5, "Described", alt_text="Runner on a ridge at sunrise"),
    )
    hostile = publish(client, session, hostile_post(hashtags=["trailpeak"], created_at=T0))[0]
    pending, rejected, unlicensed = store(
        session,
        post(20, "PENDING-POST"),
        post(21, "REJECTED-POST"),
        post(22, "UNLICENSED-POST"),
    )
    moderate(client, rejected.post_id, "reject")
    moderate(client, unlicensed.post_id, "approve")
    reportable = scored_post(hashtags=["reportme"], text="Report me")
    reportable = publish(client, session, with_image(reportable, f"{site_url}/img/r.png"))[0]
    return Site(
        api_url=api_url,
        site_url=site_url,
        client=client,
        shown=[*shown, hostile],
        hostile=hostile,
        hidden=[pending, rejected, unlicensed],
        reportable=reportable,
    )


# Sums the layout shifts of the page's whole life (buffered: those before the observer too);
# shifts right after input do not count, as in the Core Web Vitals.
LAYOUT_SHIFT_OBSERVER = """
window.__layoutShift = 0;
window.__layoutShifts = [];
new PerformanceObserver((list) => {
  // Nodes in a shadow root are not exposed (null): on the test page, those are the widget's.
  const host = document.querySelector("ugc-feed");
  const inWidget = (node) => !node || node === host || Boolean(host?.contains(node));
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    window.__layoutShift += entry.value;
    window.__layoutShifts.push({
      value: entry.value,
      at: entry.startTime,
      moved: entry.sources.map((s) => (s.node ? `${s.node.nodeName}#${s.node.id}` : "(widget)")),
      inWidget: entry.sources.some((s) => inWidget(s.node)),
    });
  }
}).observe({ type: "layout-shift", buffered: true });
"""


class Visitor(Protocol):
    def __call__(
        self, url: str, *, routes: Mapping[str, Callable[[Route], None]] | None = None
    ) -> Visit: ...


@pytest.fixture
def visit(browser: Browser) -> Iterator[Visitor]:
    """Opens a URL in a fresh context and records console errors, page errors and dialogs;
    ``routes`` answer requests to their URL patterns in the browser (a fake server)."""
    contexts: list[BrowserContext] = []

    def open_page(
        url: str, *, routes: Mapping[str, Callable[[Route], None]] | None = None
    ) -> Visit:
        context = browser.new_context(viewport={"width": 1000, "height": 800})
        context.add_init_script(LAYOUT_SHIFT_OBSERVER)
        for pattern, handler in (routes or {}).items():
            context.route(pattern, handler)
        contexts.append(context)
        page = context.new_page()
        seen = Visit(page)
        page.on("console", seen.on_console)
        page.on("pageerror", lambda error: seen.errors.append(f"page error: {error}"))
        page.on("dialog", seen.on_dialog)
        page.on("response", seen.on_response)
        page.goto(url)
        return seen

    yield open_page
    for context in contexts:
        context.close()
