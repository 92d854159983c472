"""Plain text from Mastodon's status HTML."""

from __future__ import annotations

import pytest

from ingest.html_text import html_to_text
from tests.ingest.fake_mastodon import RICH_CONTENT, RICH_TEXT


def test_mastodon_content_reads_as_the_web_ui_shows_it() -> None:
    assert html_to_text(RICH_CONTENT) == RICH_TEXT


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("<p>one<br>two<br/>three</p>", "one\ntwo\nthree"),
        ("<p>Fish &amp; chips &lt;3 &#128512; caf&eacute;</p>", "Fish & chips <3 😀 café"),
        ("<p>spread\n   over\tlines</p>", "spread over lines"),
        # A short link: nothing invisible is shown and there is no ellipsis.
        (
            '<p><a href="https://ex.com/a"><span class="invisible">https://</span>'
            '<span class="">ex.com/a</span><span class="invisible"></span></a></p>',
            "ex.com/a",
        ),
        # Nested spans inside an invisible one stay hidden; text after it is shown.
        ('<span class="invisible">a<span>b</span>c</span>d', "d"),
        ("<p>@<span>bob</span> and #<span>Tag</span></p>", "@bob and #Tag"),
        ("<ul><li>one</li><li>two</li></ul><p>after</p>", "one\ntwo\n\nafter"),
        ("<blockquote><p>quoted</p></blockquote><p>reply</p>", "quoted\n\nreply"),
        ("plain text, no tags", "plain text, no tags"),
        ("", ""),
        ("<p>unclosed <span class='invisible'>hidden", "unclosed"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text
