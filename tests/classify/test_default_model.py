"""The default model: the packaged all-MiniLM-L6-v2 with the heads committed in classify/weights."""

from __future__ import annotations

import pytest

from classify.scoring import Scorer
from classify.settings import ClassifySettings
from contract import RiskLevel, Sentiment


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer.from_settings(ClassifySettings())


def test_default_model_is_named_after_encoder_and_heads(scorer: Scorer) -> None:
    assert scorer.model_info.name == "minilm-l6-v2+heads"
    # l4-tuned2: the shipped model keeps MiniLM's bottom four layers and tunes the top two of
    # them (see classify/MODEL_CARD.md).
    assert scorer.model_info.version.startswith("l4-tuned2-")


def test_clearly_happy_customer_post_is_positive(scorer: Scorer) -> None:
    [result] = scorer.score_texts(
        ["I absolutely love my new headphones, the sound is amazing and delivery was so fast!"]
    )
    assert result.sentiment.label is Sentiment.POSITIVE


def test_clearly_unhappy_customer_post_is_negative(scorer: Scorer) -> None:
    [result] = scorer.score_texts(
        ["Worst purchase ever. It broke after two days and support never answered. Awful."]
    )
    assert result.sentiment.label is Sentiment.NEGATIVE


def test_abusive_insult_is_more_offensive_than_a_friendly_post_and_carries_risk(
    scorer: Scorer,
) -> None:
    insult, friendly = scorer.score_texts(
        [
            "@user shut the hell up you pathetic idiot, nobody cares about your stupid crap",
            "Thanks for the lovely coffee this morning, see you all next week!",
        ]
    )
    assert insult.safety.scores["offensive"] > friendly.safety.scores["offensive"]
    assert insult.safety.risk is not RiskLevel.NONE
    assert insult.safety.reasons
    assert friendly.safety.risk is RiskLevel.NONE


def test_scores_of_a_batch_equal_scores_one_by_one() -> None:
    # fp32: padding must not change a post's scores; bf16 rounding noise is a separate matter.
    scorer = Scorer.from_settings(ClassifySettings(model_precision="fp32"))
    texts = ["Great service!", "", "meh, it is fine I guess", "This is a rip-off, total garbage."]
    together = scorer.score_texts(texts)
    alone = [scorer.score_texts([t])[0] for t in texts]
    for a, b in zip(together, alone, strict=True):
        assert a.sentiment.label == b.sentiment.label
        for label, p in a.sentiment.scores.items():
            assert p == pytest.approx(b.sentiment.scores[label], abs=1e-4)
