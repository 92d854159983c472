import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curation_api.rights import consent_words
from curation_api.rights.consent import ConsentDecision, ConsentReading, read_reply

HERE = Path(__file__).parent
GRANTED = ConsentDecision.GRANTED
DECLINED = ConsentDecision.DECLINED
UNCLEAR = ConsentDecision.UNCLEAR


def read(
    text: str,
    *,
    author: str = "acct-1",
    replier: str | None = None,
    tag: str = "#YesBrewNorth",
    brand_handle: str | None = None,
    require_mention: bool = False,
    language: str | None = None,
) -> ConsentReading:
    return read_reply(
        text,
        reply_author_id=author if replier is None else replier,
        post_author_id=author,
        approval_hashtag=tag,
        brand_handle=brand_handle,
        require_mention=require_mention,
        language=language,
    )


def labeled(name: str) -> list[dict[str, Any]]:
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


def read_row(row: dict[str, Any]) -> ConsentDecision:
    return read_reply(
        row["text"],
        reply_author_id=row["reply_author_id"],
        post_author_id=row["post_author_id"],
        approval_hashtag=row["approval_hashtag"],
        brand_handle=row.get("brand_handle"),
        require_mention=row.get("require_mention", False),
        language=row.get("language"),
    ).decision


@pytest.mark.parametrize(
    "text",
    ["#YesBrewNorth", "Yes! #YesBrewNorth 👍", "#yesbrewnorth", "Sure, go ahead! #YesBrewNorth"],
)
def test_the_authors_clear_yes_with_the_tag_is_consent(text: str) -> None:
    assert read(text).decision is GRANTED


def test_a_reply_from_another_account_is_not_consent() -> None:
    reading = read("Yes! #YesBrewNorth", replier="acct-2")
    assert reading.decision is ConsentDecision.NOT_AUTHOR
    assert "acct-2" in reading.reason


@pytest.mark.parametrize("text", ["#YesBrewNorthFan", "#YesBrewNorth2", "#YesBrewNorth_"])
def test_a_longer_tag_that_starts_with_the_approval_hashtag_is_not_consent(text: str) -> None:
    reading = read(text)
    assert reading.decision is UNCLEAR
    assert "whole tag" in reading.reason


def test_punctuation_ends_a_hashtag() -> None:
    assert read("#YesBrewNorth!").decision is GRANTED


def test_accents_are_not_folded_but_a_decomposed_letter_is_the_same_letter() -> None:
    assert read("#JaBruh", tag="#JaBrüh").decision is UNCLEAR
    assert read("#JaBru\u0308h", tag="#JaBrüh").decision is GRANTED
    assert read("#JABRÜH", tag="JaBrüh").decision is GRANTED


def test_the_tag_inside_a_link_is_not_a_hashtag() -> None:
    reading = read("https://brewnorth.example/#YesBrewNorth")
    assert reading.decision is UNCLEAR
    assert "link" in reading.reason


@pytest.mark.parametrize("text", ["sure, go ahead!", "👍", "yes", ""])
def test_a_yes_without_the_tag_is_unclear(text: str) -> None:
    assert read(text).decision is UNCLEAR


@pytest.mark.parametrize(
    "text",
    ["what is #YesBrewNorth?", "do I just write #YesBrewNorth?", "¿Qué es #YesBrewNorth?"],
)
def test_a_question_about_the_tag_is_unclear(text: str) -> None:
    reading = read(text)
    assert reading.decision is UNCLEAR
    assert "question" in reading.reason


@pytest.mark.parametrize(
    "text",
    [
        "#YesBrewNorth if you pay me",
        "only if you credit me #YesBrewNorth",
        "#YesBrewNorth om ni betalar mig",
        "#YesBrewNorth wenn ihr mich bezahlt",
        "#YesBrewNorth si vous me payez",
        "#YesBrewNorth siempre que me etiqueten",
        "#YesBrewNorth for 50 €",
    ],
)
def test_a_conditional_yes_is_unclear(text: str) -> None:
    assert read(text).decision is UNCLEAR


@pytest.mark.parametrize("text", ["not #YesBrewNorth", "nicht #YesBrewNorth", "pas #YesBrewNorth"])
def test_a_negated_yes_is_unclear(text: str) -> None:
    assert read(text).decision is UNCLEAR


@pytest.mark.parametrize(
    "text",
    [
        "no thanks",
        "please don't use my photo",
        "I withdraw my permission",
        "nej tack",
        "nein danke",
        "non merci",
        "no gracias",
    ],
)
def test_a_refusal_or_withdrawal_is_declined(text: str) -> None:
    assert read(text).decision is DECLINED


@pytest.mark.parametrize(
    "text",
    ["no #YesBrewNorth", "#YesBrewNorth nope, changed my mind", "yeah right #YesBrewNorth, never"],
)
def test_a_refusal_next_to_the_tag_is_declined(text: str) -> None:
    reading = read(text)
    assert reading.decision is DECLINED
    assert "does not outweigh" in reading.reason


@pytest.mark.parametrize(
    "text",
    ["No problem! #YesBrewNorth", "Kein Problem #YesBrewNorth", "Sin problema #YesBrewNorth"],
)
def test_no_problem_is_a_yes_not_a_refusal(text: str) -> None:
    assert read(text).decision is GRANTED


@pytest.mark.parametrize(
    "text",
    ["#YesBrewNorth 🤔", "#YesBrewNorth 😂", "#YesBrewNorth on Mondays", "#YesBrewNorth #ad"],
)
def test_content_the_reader_cannot_vouch_for_makes_a_reply_unclear(text: str) -> None:
    assert read(text).decision is UNCLEAR


def test_a_quoted_tag_is_unclear() -> None:
    assert read('he told me to write "#YesBrewNorth"').decision is UNCLEAR
    assert read("« #YesBrewNorth »").decision is UNCLEAR


def test_a_required_mention_of_the_brand_must_be_there() -> None:
    def with_mention(text: str) -> ConsentReading:
        return read(text, brand_handle="@BrewNorth", require_mention=True)

    missing = with_mention("#YesBrewNorth")
    assert missing.decision is UNCLEAR
    assert "mention of @brewnorth" in missing.reason
    assert with_mention("@brewnorth #YesBrewNorth").decision is GRANTED
    assert with_mention("@brewnorthfans #YesBrewNorth").decision is UNCLEAR
    assert read("#YesBrewNorth", brand_handle="@brewnorth").decision is GRANTED


def test_a_language_without_word_lists_is_named_in_the_reason() -> None:
    reading = read("Va bene #YesBrewNorth", language="it")
    assert reading.decision is UNCLEAR
    assert "'it'" in reading.reason


def test_the_brands_configuration_errors_are_raised_not_read() -> None:
    with pytest.raises(ValueError, match="not one hashtag"):
        read("#Yes", tag="#Yes Brew")
    with pytest.raises(ValueError, match="brand_handle"):
        read("#YesBrewNorth", require_mention=True)


@pytest.mark.parametrize("name", ["replies.jsonl", "replies_holdout.jsonl"])
def test_the_labeled_replies_have_no_false_grant_and_most_are_read_right(name: str) -> None:
    rows = labeled(name)
    decisions = [read_row(row) for row in rows]
    pairs = list(zip(rows, decisions, strict=True))
    false_grants = [row["id"] for row, d in pairs if d is GRANTED and row["expected"] != GRANTED]
    right = sum(d == row["expected"] for row, d in pairs)
    assert false_grants == []
    assert right / len(rows) >= 0.95


def test_the_labeled_set_covers_each_language_and_decision() -> None:
    rows = labeled("replies.jsonl") + labeled("replies_holdout.jsonl")
    assert len(rows) >= 200
    for language in ("en", "sv", "de", "fr", "es"):
        assert sum(row["language"] == language for row in rows) >= 30, language
    assert {row["expected"] for row in rows} == {d.value for d in ConsentDecision}


GRANT_WORDS = ["yes", "sure", "of course", "ja", "gärna", "gerne", "oui", "bien sûr", "sí", "claro"]
GRANT_EMOJI = ["👍", "✅", "🙌", "❤️", "🎉"]
TURNING_WORDS = [*consent_words.NEGATION, *consent_words.CONDITION, *consent_words.REFUSAL]


@st.composite
def granted_replies(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from(GRANT_WORDS + GRANT_EMOJI), max_size=4))
    parts.insert(
        draw(st.integers(0, len(parts))), draw(st.sampled_from(["#YesBrewNorth", "#yesbrewnorth"]))
    )
    return draw(st.sampled_from([" ", ", ", "! "])).join(parts)


@given(text=st.text(max_size=80), replier=st.text(max_size=12))
def test_a_reply_from_anyone_but_the_author_is_never_granted(text: str, replier: str) -> None:
    if replier != "acct-1":
        assert read(text + " #YesBrewNorth", replier=replier).decision is ConsentDecision.NOT_AUTHOR


@given(reply=granted_replies(), word=st.sampled_from(TURNING_WORDS), before=st.booleans())
def test_a_negation_or_condition_added_to_a_grant_never_grants(
    reply: str, word: str, before: bool
) -> None:
    assert read(reply).decision is GRANTED
    turned = f"{word} {reply}" if before else f"{reply} {word}"
    assert read(turned).decision is not GRANTED
