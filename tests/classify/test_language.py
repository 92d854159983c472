"""Offline language detection and what it means for confidence in the scores."""

from __future__ import annotations

import pytest

from classify.language import LanguageDetector
from classify.settings import DETECTOR_CANDIDATES
from ingest.demo import demo_posts_path
from ingest.sources.replay import iter_posts

SUPPORTED = ("en", "es", "fr", "de", "pt", "it", "ar", "hi")


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(candidates=DETECTOR_CANDIDATES, supported=SUPPORTED)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("I really love the new flavour, best coffee in town", "en"),
        ("Me encanta esta marca, el servicio es genial", "es"),
        ("Je déteste ce produit, la livraison était nulle", "fr"),
        ("Das ist wirklich toll, ich liebe diese Marke", "de"),
        ("Eu amo essa marca demais, entrega super rápida", "pt"),
        ("Adoro questo prodotto, la spedizione è stata veloce", "it"),
    ],
)
def test_detects_the_language_of_a_sentence(
    detector: LanguageDetector, text: str, code: str
) -> None:
    language = detector.detect(text)
    assert language.code == code
    assert language.supported
    assert not detector.is_low_confidence(language)


@pytest.mark.parametrize("text", ["😀😀🔥", "", "ok", "@user https://t.co/x #brand"])
def test_too_little_text_has_no_language_and_low_confidence(
    detector: LanguageDetector, text: str
) -> None:
    language = detector.detect(text)
    assert language.code is None
    assert language.confidence == 0.0
    assert detector.is_low_confidence(language)


def test_an_unsupported_language_is_detected_but_low_confidence(
    detector: LanguageDetector,
) -> None:
    language = detector.detect("Ik hou echt van dit merk, de koffie is heerlijk")
    assert language.code == "nl"
    assert not language.supported
    assert detector.is_low_confidence(language)


def test_an_unsure_detection_is_low_confidence() -> None:
    unsure = LanguageDetector(
        candidates=DETECTOR_CANDIDATES, supported=SUPPORTED, min_confidence=1.0
    )
    language = unsure.detect("best coffee ever")
    assert language.supported
    assert unsure.is_low_confidence(language)


MIXED = [
    "I really love the new flavour, best coffee in town",
    "BEST COFFEE EVER, I LOVE IT",  # all capitals: py3langid lower-cases these first
    "Me encanta esta marca, el servicio es genial 😍 #marca https://t.co/abc",
    "Ik hou echt van dit merk, de koffie is heerlijk",
    "هذا المنتج رائع جدا وأنا أحبه",
    "यह उत्पाद बहुत अच्छा है",
    "これは本当に素晴らしい製品です",
    "ok",
    "",
    "🔥🔥🔥",
    "x" * 2000,
    "Adoro questo prodotto, la spedizione è stata veloce",
]


def test_a_batch_gets_what_py3langid_says_text_by_text(detector: LanguageDetector) -> None:
    texts = [post.text for post in iter_posts(demo_posts_path())] + MIXED
    batched = detector.detect_all(texts)
    one_by_one = detector.detect_one_by_one(texts)
    assert [d.code for d in batched] == [d.code for d in one_by_one]
    assert {d.code for d in batched} >= {"en", "es", "fr", "de", "nl", "ar", "hi", None}
    for ours, reference in zip(batched, one_by_one, strict=True):
        assert ours.confidence == pytest.approx(reference.confidence, abs=1e-4)
        assert ours.supported == reference.supported


def test_batch_of_nothing_to_detect(detector: LanguageDetector) -> None:
    assert detector.detect_all([]) == []
    assert [d.code for d in detector.detect_all(["", "@user", "42 42"])] == [None, None, None]
