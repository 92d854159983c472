from __future__ import annotations

from collections.abc import Sequence

from classify.pipeline import (
    InboundMessage,
    decode_batch,
    score_posts,
)
from classify.scoring import TextScores
from contract import (
    RAW_TOPIC,
    DetectedLanguage,
    ModelInfo,
    RawPost,
    RiskLevel,
    SafetyScores,
    Sentiment,
    SentimentScores,
    encode,
    utcnow,
)


def make_post(*, native_id: str = "1", text: str = "hello #brewnorth") -> RawPost:
    now = utcnow()
    return RawPost(
        platform="mastodon",
        native_id=native_id,
        post_id=f"mastodon:{native_id}",
        hashtags=["brewnorth"],
        text=text,
        author={"id": "7", "handle": "ana"},
        created_at=now,
        collected_at=now,
    )


def message(value: bytes | None, offset: int = 0) -> InboundMessage:
    return InboundMessage(value=value, key=b"k", topic=RAW_TOPIC, partition=1, offset=offset)


class EchoScorer:
    """Scores by text length so that the test can tell results apart."""

    model_info = ModelInfo(name="echo", version="0")

    def __init__(self) -> None:
        self.calls = 0

    def score_texts(self, texts: Sequence[str]) -> list[TextScores]:
        self.calls += 1
        return [
            TextScores(
                sentiment=SentimentScores(
                    label=Sentiment.POSITIVE,
                    scores={
                        Sentiment.NEGATIVE: 0.0,
                        Sentiment.NEUTRAL: 0.0,
                        Sentiment.POSITIVE: 1.0,
                    },
                ),
                safety=SafetyScores(
                    scores={"offensive": len(t) / 100, "hate": 0.0}, risk=RiskLevel.NONE
                ),
            )
            for t in texts
        ]


def test_decode_batch_separates_poison_with_its_position_and_bytes() -> None:
    good = make_post()
    batch = decode_batch([message(encode(good), 0), message(b"{oops", 1), message(None, 2)])
    assert batch.posts == [good]
    assert [d.offset for d in batch.dead_letters] == [1, 2]
    assert batch.dead_letters[0].original == b"{oops"
    assert batch.dead_letters[0].source_topic == RAW_TOPIC
    assert "JSON" in batch.dead_letters[0].reason
    assert "empty" in batch.dead_letters[1].reason


def test_score_posts_scores_a_batch_in_one_call_and_keeps_order() -> None:
    scorer = EchoScorer()
    posts = [make_post(native_id="1", text="a"), make_post(native_id="2", text="abcd")]
    scored = score_posts(scorer, posts)
    assert scorer.calls == 1
    assert [s.post_id for s in scored] == ["mastodon:1", "mastodon:2"]
    assert [s.safety.scores["offensive"] for s in scored] == [0.01, 0.04]
    assert scored[0].model.name == "echo"
    assert scored[0].text == "a"


def test_score_posts_skips_the_model_for_an_empty_batch() -> None:
    scorer = EchoScorer()
    assert score_posts(scorer, []) == []
    assert scorer.calls == 0


class FrenchScorer(EchoScorer):
    """Says every post is French and unsure, as the language detector would."""

    def score_texts(self, texts: Sequence[str]) -> list[TextScores]:
        language = DetectedLanguage(code="fr", confidence=0.4, supported=True)
        return [
            TextScores(
                sentiment=s.sentiment, safety=s.safety, language=language, low_confidence=True
            )
            for s in super().score_texts(texts)
        ]


def test_scored_post_carries_the_detected_language_and_low_confidence() -> None:
    scored = score_posts(FrenchScorer(), [make_post(text="bonjour")])
    assert scored[0].detected_language == DetectedLanguage(
        code="fr", confidence=0.4, supported=True
    )
    assert scored[0].low_confidence is True


def test_scored_post_is_confident_by_default() -> None:
    assert score_posts(EchoScorer(), [make_post()])[0].low_confidence is False
