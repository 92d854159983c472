"""The widget and the embed page in real Chromium, on a customer site of another origin under a
strict Content-Security-Policy; outcomes checked through the API where there are any."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.curation_api.widget.widget_factories import (
    HOSTILE_PERMALINK,
    HOSTILE_TEXT,
    actions,
    status_of,
)
from tests.widget.conftest import Site, Visitor
from tests.widget.page_scripts import (
    AT_CARD,
    FIRST_IMAGE_LOADED,
    IMAGES_IN_VIEW_LOADED,
    SHADOW_FACTS,
)

TIMEOUT_MS = 10_000


def post_ids(page: Page) -> list[str]:
    ids: list[str] = page.locator("ugc-feed li.post").evaluate_all(
        "(items) => items.map((item) => item.dataset.postId)"
    )
    return ids


def wait_for_posts(page: Page, count: int) -> None:
    page.locator("ugc-feed li.post").nth(count - 1).wait_for(timeout=TIMEOUT_MS)


def layout_shifts(page: Page) -> list[dict[str, Any]]:
    """The page's layout shifts so far (recorded by the observer the ``visit`` fixture adds)."""
    shifts: list[dict[str, Any]] = page.evaluate("() => window.__layoutShifts")
    return shifts


def settle(page: Page) -> None:
    """Two animation frames: layout-shift entries of the last frame have been delivered."""
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def test_the_widget_shows_the_approved_rights_cleared_posts_and_nothing_else(
    site: Site, visit: Visitor
) -> None:
    seen = visit(site.widget_page(feed="trailpeak", layout="grid", limit="12"))

    wait_for_posts(seen.page, len(site.shown))

    assert post_ids(seen.page) == [p.post_id for p in site.shown]
    text = seen.page.locator("ugc-feed").inner_text()
    for hidden in ("PENDING-POST", "REJECTED-POST", "UNLICENSED-POST"):
        assert hidden not in text
    assert seen.errors == []


def test_each_post_shows_its_image_text_creator_and_network(site: Site, visit: Visitor) -> None:
    seen = visit(site.widget_page(feed="trailpeak"))
    wait_for_posts(seen.page, len(site.shown))
    first = site.shown[0]

    card = seen.page.locator("ugc-feed li.post").first
    link = card.locator("a.author")

    assert card.locator("p.text").inner_text() == first.text
    assert link.inner_text() == f"@{first.author.handle}"
    assert link.get_attribute("href") == first.permalink
    assert card.locator(".network").inner_text() == "Mastodon"
    image = card.locator("img")
    assert image.get_attribute("loading") == "lazy"
    assert image.get_attribute("alt") == f"Photo by @{first.author.handle} on Mastodon"
    described = seen.page.locator("ugc-feed li.post", has_text="Described").locator("img")
    assert described.get_attribute("alt") == "Runner on a ridge at sunrise"
    assert seen.errors == []


def test_a_hostile_post_stays_text(site: Site, visit: Visitor) -> None:
    seen = visit(site.widget_page(feed="trailpeak"))
    wait_for_posts(seen.page, len(site.shown))

    facts: dict[str, Any] = seen.page.evaluate(SHADOW_FACTS)

    assert HOSTILE_TEXT in facts["texts"]
    assert facts["scripts"] == 1  # the widget's own tag, nothing else
    assert "x" not in facts["imgSources"]
    assert HOSTILE_PERMALINK not in facts["hrefs"]
    assert all(href.startswith("https://") for href in facts["hrefs"])
    assert facts["onAttributes"] == []
    hostile = seen.page.locator("ugc-feed li.post", has_text=HOSTILE_TEXT)
    assert hostile.locator("a").count() == 0  # no link rather than a javascript: one
    assert hostile.locator("img").count() == 0  # its media URL is not http(s)
    assert seen.dialogs == []
    assert seen.errors == []


def test_every_layout_renders_without_a_console_error(site: Site, visit: Visitor) -> None:
    for layout in ("grid", "masonry", "carousel"):
        seen = visit(site.widget_page(feed="trailpeak", layout=layout))
        wait_for_posts(seen.page, len(site.shown))
        seen.page.wait_for_function(IMAGES_IN_VIEW_LOADED, timeout=TIMEOUT_MS)
        settle(seen.page)

        assert [e for e in layout_shifts(seen.page) if e["inWidget"]] == [], layout
        assert seen.errors == [], layout


def test_the_carousel_moves_with_the_arrow_keys_and_its_buttons(site: Site, visit: Visitor) -> None:
    seen = visit(site.widget_page(feed="trailpeak", layout="carousel"))
    wait_for_posts(seen.page, len(site.shown))
    region = seen.page.locator("ugc-feed .viewport")
    assert region.get_attribute("role") == "region"
    assert region.get_attribute("aria-roledescription") == "carousel"
    assert seen.page.locator("ugc-feed button.next").get_attribute("aria-label") == "Next posts"

    def settles_at_card(index: int) -> None:
        # The scroll is smooth: wait until it rests where the card starts (or at the end).
        seen.page.wait_for_function(
            AT_CARD, arg=[region.element_handle(), index], timeout=TIMEOUT_MS
        )

    region.focus()
    for keys, card in (
        (["ArrowRight"], 1),
        (["ArrowLeft"], 0),
        (["ArrowRight", "ArrowRight"], 2),  # pressed before the first scroll ends: two cards
        (["ArrowLeft"], 1),
        (["End"], 5),
        (["Home"], 0),
    ):
        for key in keys:
            seen.page.keyboard.press(key)
        settles_at_card(card)
    seen.page.locator("ugc-feed button.next").click()
    settles_at_card(1)
    seen.page.locator("ugc-feed button.prev").click()
    settles_at_card(0)
    assert seen.errors == []


def test_load_more_fetches_the_next_page_until_there_is_none(site: Site, visit: Visitor) -> None:
    seen = visit(site.widget_page(feed="trailpeak", limit="2"))
    more = seen.page.locator("ugc-feed button.more")
    wait_for_posts(seen.page, 2)

    for shown in (4, 6):
        more.click()
        wait_for_posts(seen.page, shown)
    more.wait_for(state="hidden", timeout=TIMEOUT_MS)

    assert post_ids(seen.page) == [p.post_id for p in site.shown]
    assert seen.errors == []


def test_a_report_puts_the_post_back_in_the_moderation_queue(site: Site, visit: Visitor) -> None:
    reason = "That is me, and I did not agree to be on a shop's page."
    seen = visit(site.widget_page(feed="reportable"))
    wait_for_posts(seen.page, 1)

    seen.page.locator("ugc-feed li.post button.report").click()
    dialog = seen.page.locator("ugc-feed dialog")
    dialog.locator("textarea").fill(reason)
    dialog.locator("button.send").click()
    dialog.locator(".message", has_text="Thank you").wait_for(timeout=TIMEOUT_MS)
    dialog.locator("button.cancel").click()
    seen.page.locator("ugc-feed li.post").wait_for(state="detached", timeout=TIMEOUT_MS)

    post_id = site.reportable.post_id
    assert status_of(site.client, post_id) == "pending"
    last = actions(site.client, post_id)[-1]
    assert (last["action"], last["actor"], last["note"]) == ("report", "public report", reason)
    assert seen.dialogs == []  # the form is the widget's own, not prompt()
    assert seen.errors == []


def test_a_feed_that_fails_to_load_says_so_and_the_page_lives_on(
    site: Site, visit: Visitor
) -> None:
    missing = visit(site.widget_page(feed="no-such-feed"))
    unreachable = visit(site.widget_page(feed="trailpeak", api="http://127.0.0.1:9"))

    for seen, message in (
        (missing, "This feed does not exist."),
        (unreachable, "The feed could not be loaded. Check your connection."),
    ):
        status = seen.page.locator("ugc-feed .status")
        status.filter(has_text=message).wait_for(timeout=TIMEOUT_MS)
        assert seen.page.locator("ugc-feed button.retry").is_visible()
        assert not [e for e in seen.errors if e.startswith("page error")]


def test_layout_shift_and_time_to_the_first_image(site: Site, visit: Visitor) -> None:
    seen = visit(site.widget_page(feed="trailpeak", layout="grid"))

    first_image_ms: float = seen.page.wait_for_function(
        FIRST_IMAGE_LOADED, polling="raf", timeout=TIMEOUT_MS
    ).json_value()
    seen.page.wait_for_function(IMAGES_IN_VIEW_LOADED, timeout=TIMEOUT_MS)
    settle(seen.page)
    shift: float = seen.page.evaluate("() => window.__layoutShift")
    shifts = layout_shifts(seen.page)
    image_response_ms: float = seen.page.evaluate(
        "() => Math.min(...performance.getEntriesByType('resource')"
        ".filter((e) => e.initiatorType === 'img').map((e) => e.responseEnd))"
    )

    print(
        f"\nwidget (grid, {len(site.shown)} posts): cumulative layout shift {shift:.4f}; "
        f"first post image loaded at {first_image_ms:.0f} ms after navigation "
        f"(its bytes had arrived at {image_response_ms:.0f} ms)"
        + "".join(
            f"\n  shift {e['value']:.4f} at {e['at']:.0f} ms, moved: {', '.join(e['moved'])}"
            for e in shifts
        )
    )
    # The page below the widget moves down once the posts arrive (the widget cannot know its
    # height before); nothing inside the widget moves when the images load.
    assert [e for e in shifts if e["inWidget"]] == []
    assert seen.errors == []


def test_the_embed_page_renders_the_posts_without_script(site: Site, visit: Visitor) -> None:
    seen = visit(f"{site.api_url}/embed/trailpeak")

    items = seen.page.locator("main li")
    facts: dict[str, Any] = seen.page.evaluate(
        """() => ({
          scripts: document.querySelectorAll("script").length,
          hrefs: [...document.querySelectorAll("a")].map((a) => a.getAttribute("href")),
          imgs: [...document.querySelectorAll("img")].map((i) => [i.alt, i.loading]),
        })"""
    )

    assert items.count() == len(site.shown)
    assert items.filter(has_text=HOSTILE_TEXT).count() == 1
    assert facts["scripts"] == 0
    assert HOSTILE_PERMALINK not in facts["hrefs"]
    assert all(alt and loading == "lazy" for alt, loading in facts["imgs"])
    assert seen.dialogs == []
    assert seen.errors == []


def test_another_site_may_frame_the_embed_page(site: Site, visit: Visitor) -> None:
    seen = visit(f"{site.site_url}/framed.html?feed=trailpeak")

    frame = seen.page.frame_locator("iframe")
    frame.locator("main li").nth(len(site.shown) - 1).wait_for(timeout=TIMEOUT_MS)

    assert frame.locator("main li").count() == len(site.shown)
    assert seen.errors == []


def test_image_variants_become_a_srcset_with_the_size_reserved(site: Site, visit: Visitor) -> None:
    # The feed has no variants yet; this page answers as it will once it does.
    image = f"{site.site_url}/img/variant"
    page = {
        "items": [
            {
                "post_id": "mastodon:variants",
                "platform": "mastodon",
                "text": "Sized",
                "author": {"handle": "alice@example.social", "display_name": None},
                "media": [
                    {
                        "type": "image",
                        "url": f"{image}-1200.png",
                        "preview_url": f"{image}-400.png",
                        "alt_text": None,
                        "variants": [
                            {"width": 1200, "height": 900, "url": f"{image}-1200.png"},
                            {"width": 400, "height": 300, "url": f"{image}-400.png"},
                            {"width": 800, "height": 600, "url": "javascript:alert(1)"},
                            {"width": 600, "height": 450, "url": "/media/7/600.webp"},
                        ],
                    }
                ],
                "permalink": "https://example.social/@alice/1",
                "created_at": "2025-06-01T12:00:00Z",
                "hashtags": ["trailpeak"],
            }
        ],
        "next_cursor": None,
    }
    seen = visit(
        site.widget_page(feed="future", layout="masonry"),
        routes={
            f"{site.api_url}/v1/feeds/future/posts*": lambda route: route.fulfill(
                json=page, headers={"Access-Control-Allow-Origin": "*"}
            )
        },
    )
    img = seen.page.locator("ugc-feed li.post img")
    img.wait_for(timeout=TIMEOUT_MS)

    # A path is a copy the API stores: on the API's origin.
    stored = f"{site.api_url}/media/7/600.webp"
    assert img.get_attribute("srcset") == (
        f"{image}-400.png 400w, {stored} 600w, {image}-1200.png 1200w"
    )
    assert (img.get_attribute("width"), img.get_attribute("height")) == ("1200", "900")
    assert img.get_attribute("src") == stored  # the narrowest at least a card wide
    assert seen.dialogs == []
