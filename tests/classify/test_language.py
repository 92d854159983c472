"""Offline language detection and what it means for confidence in the scores."""

from __future__ import annotations

import pytest

from classify.language import LanguageDetector
from classify.settings import DETECTOR_CANDIDATES

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
