"""RFC 8288 Link header parsing."""

from __future__ import annotations

from ingest.link_header import parse_link_header


def test_mastodon_pagination_links() -> None:
    header = (
        '<https://mastodon.social/api/v1/timelines/tag/cats?max_id=111>; rel="next", '
        '<https://mastodon.social/api/v1/timelines/tag/cats?min_id=222>; rel="prev"'
    )

    assert parse_link_header(header) == {
        "next": "https://mastodon.social/api/v1/timelines/tag/cats?max_id=111",
        "prev": "https://mastodon.social/api/v1/timelines/tag/cats?min_id=222",
    }


def test_commas_and_semicolons_inside_targets_and_quoted_values_do_not_split_links() -> None:
    header = (
        '<https://ex.com/a?x=1,2;y=3>; title="next, maybe; or not"; rel="next",'
        "<https://ex.com/b>;rel=prev"
    )

    assert parse_link_header(header) == {
        "next": "https://ex.com/a?x=1,2;y=3",
        "prev": "https://ex.com/b",
    }


def test_a_rel_with_several_types_maps_each_and_the_first_link_wins() -> None:
    header = '<https://ex.com/1>; rel="prev previous", <https://ex.com/2>; REL="Prev"'

    assert parse_link_header(header) == {"prev": "https://ex.com/1", "previous": "https://ex.com/1"}


def test_escaped_quotes_in_a_quoted_string() -> None:
    header = r'<https://ex.com/1>; title="say \"hi\", then go"; rel="next"'

    assert parse_link_header(header) == {"next": "https://ex.com/1"}


def test_empty_or_malformed_headers_keep_what_parsed() -> None:
    assert parse_link_header("") == {}
    assert parse_link_header("garbage") == {}
    assert parse_link_header('<https://ex.com/1>; rel="next", <https://ex.com/2') == {
        "next": "https://ex.com/1"
    }
    assert parse_link_header(
        '<https://ex.com/1>; rel="next" junk, <https://ex.com/2>; rel=prev'
    ) == {
        "next": "https://ex.com/1",
        "prev": "https://ex.com/2",
    }
