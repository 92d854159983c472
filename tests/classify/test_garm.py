"""GARM category evidence: term lists, embedding prototypes, and how they combine."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import torch

from classify.garm import Prototypes, calibrate, combine
from classify.garm_terms import GARM_IDS, TermHits, TermMatcher, fold


@pytest.fixture(scope="module")
def matcher() -> TermMatcher:
    return TermMatcher.from_file()


def test_there_are_eleven_garm_categories() -> None:
    assert len(GARM_IDS) == 11
    assert len(set(GARM_IDS)) == 11


def test_fold_ignores_case_and_accents() -> None:
    assert fold("Munición ÉTÉ Straße") == "municion ete strasse"


def test_terms_match_whole_words_only(matcher: TermMatcher) -> None:
    assert "arms_ammunition" in matcher.match("Selling two guns today")
    # "gun" inside another word is not a gun.
    assert "arms_ammunition" not in matcher.match("Gunther loves our burgers")
    assert "arms_ammunition" not in matcher.match("Begun the new season")


def test_terms_match_across_case_accents_and_hyphens(matcher: TermMatcher) -> None:
    assert matcher.match("VENDO PISTOLA Y MUNICIÓN")["arms_ammunition"].terms == (
        "pistola",
        "municion",
    )
    assert "arms_ammunition" in matcher.match("my new ar 15")
    assert "arms_ammunition" in matcher.match("my new AR-15")


def test_wildcard_terms_match_word_endings(matcher: TermMatcher) -> None:
    assert matcher.match("three rifles at the show")["arms_ammunition"].terms == ("rifles",)


@pytest.mark.parametrize(
    "text",
    [
        "This mascara is killer",
        "this killer mascara makes my lashes pop",
        "Nothing beats a shot of espresso",
        "Bomb deal on boots today",
        "Killing it with this skincare routine",
        "Dressed to kill for the gala",
        "Our new lip shade in nude is back",
        "Used a glue gun for the DIY wreath",
    ],
)
def test_brand_idioms_match_no_category(matcher: TermMatcher, text: str) -> None:
    assert matcher.match(text) == {}


def test_mild_terms_are_kept_apart_from_strong_ones(matcher: TermMatcher) -> None:
    hits = matcher.match("cold beer and cocaine")["drugs_tobacco_alcohol"]
    assert hits.terms == ("cocaine",)
    assert hits.mild == ("beer",)
    assert hits.score > TermHits(terms=("cocaine",)).score > TermHits(mild=("beer",)).score


def _fake_embed(sentences: Sequence[str]) -> torch.Tensor:
    # One deterministic random unit vector per distinct sentence.
    rows = []
    for sentence in sentences:
        generator = torch.Generator().manual_seed(sum(map(ord, sentence)) * 7919 + len(sentence))
        rows.append(torch.nn.functional.normalize(torch.randn(16, generator=generator), dim=0))
    return torch.stack(rows)


def test_prototype_scores_have_one_column_per_category_in_unit_range() -> None:
    prototypes = Prototypes.embed(_fake_embed)
    scores = prototypes.scores(_fake_embed(["a post", "another post", "third"]))
    assert scores.shape == (3, len(GARM_IDS))
    assert bool(((scores >= 0) & (scores <= 1)).all())


def test_a_post_identical_to_a_prototype_scores_one_for_its_category() -> None:
    prototypes = Prototypes.embed(_fake_embed)
    vector = prototypes.vectors[prototypes.owners == GARM_IDS.index("terrorism")][:1]
    row = prototypes.scores(vector)[0]
    assert row[GARM_IDS.index("terrorism")] == pytest.approx(1.0)


def test_each_kind_of_evidence_raises_the_score() -> None:
    zeros = [0.0] * len(GARM_IDS)
    arms = GARM_IDS.index("arms_ammunition")
    close = [0.7 if i == arms else 0.0 for i in range(len(GARM_IDS))]
    rifle = {"arms_ammunition": TermHits(terms=("rifle",))}
    nothing = combine({}, zeros, {})["arms_ammunition"].score
    term = combine(rifle, zeros, {})["arms_ammunition"].score
    both = combine(rifle, close, {})["arms_ammunition"].score
    assert nothing == 0.0 < term < both < 1.0


def test_heads_feed_their_categories_only() -> None:
    evidence = combine({}, [0.0] * len(GARM_IDS), {"hate": 0.9, "offensive": 0.5})
    assert evidence["hate_speech_aggression"].score > 0.5
    assert evidence["hate_speech_aggression"].head == 0.9
    assert evidence["obscenity_profanity"].head == 0.5
    assert evidence["terrorism"].score == 0.0


def test_calibration_puts_the_floor_where_only_one_in_a_hundred_ordinary_posts_reach() -> None:
    prototypes = Prototypes.embed(_fake_embed)
    generator = torch.Generator().manual_seed(5)
    ordinary = torch.nn.functional.normalize(torch.randn(400, 16, generator=generator), dim=1)
    bounds = calibrate(prototypes, ordinary)
    assert set(bounds) == set(GARM_IDS)
    calibrated = Prototypes.embed(_fake_embed, calibration=bounds)
    scores = calibrated.scores(ordinary)
    # At most ~1 % of ordinary posts score above zero in any category, and none is certain.
    assert float((scores > 0).float().mean(dim=0).max()) <= 0.015
    assert float((scores >= 1).float().mean()) <= 0.005
    # Even in a widely spread space a copy of a prototype is full evidence: the ceiling stays
    # at most halfway between the floor and a perfect match.
    assert all(ceiling <= (floor + 1) / 2 + 1e-4 for floor, ceiling in bounds.values())
    terrorism = GARM_IDS.index("terrorism")
    prototype = calibrated.vectors[calibrated.owners == terrorism][:1]
    assert calibrated.scores(prototype)[0, terrorism] > max(0.5, float(scores[:, terrorism].max()))


def test_categories_without_calibration_keep_the_fixed_bounds() -> None:
    prototypes = Prototypes.embed(_fake_embed, calibration={"terrorism": [0.1, 0.2]})
    terrorism = GARM_IDS.index("terrorism")
    assert prototypes.floor[terrorism] == pytest.approx(0.1)
    others = [i for i in range(len(GARM_IDS)) if i != terrorism]
    assert bool((prototypes.floor[others] == 0.3).all())
    assert bool((prototypes.ceiling[others] == 0.65).all())
