"""Offline language detection, and whether the models were trained for what it found.

``py3langid`` ships its naive-Bayes model inside the wheel (about 4.5 MB installed), so the
classifier needs no network and no download at start.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from ugc.contract import DetectedLanguage

# Fewer letters than this is not a language, whatever the detector says ("ok", "🔥🔥", "@user").
MIN_LETTERS = 3

_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+", re.IGNORECASE)


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in _NOISE.sub(" ", text))


class LanguageDetector:
    """Detects the language of posts among ``candidates``; loaded once per process."""

    def __init__(
        self,
        *,
        candidates: Iterable[str],
        supported: Iterable[str],
        min_confidence: float = 0.5,
    ) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._identifier: Any = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        known = set(self._identifier.labels)
        # Candidates the model does not know are skipped rather than fatal: the list is a setting.
        usable = sorted({c for c in candidates if c in known} | ({*supported} & known))
        if usable:
            self._identifier.set_languages(usable)
        self.supported = frozenset(supported)
        self.min_confidence = min_confidence

    def detect(self, text: str) -> DetectedLanguage:
        """The language of one post; ``code`` is None when the text has too few letters."""
        cleaned = _NOISE.sub(" ", text)
        if _letters(cleaned) < MIN_LETTERS:
            return DetectedLanguage(code=None, confidence=0.0, supported=False)
        code, confidence = self._identifier.classify(cleaned)
        confidence = min(max(float(confidence), 0.0), 1.0)
        return DetectedLanguage(
            code=str(code), confidence=confidence, supported=code in self.supported
        )

    def detect_all(self, texts: Sequence[str]) -> list[DetectedLanguage]:
        """One detection per text, in order."""
        return [self.detect(text) for text in texts]

    def is_low_confidence(self, language: DetectedLanguage) -> bool:
        """Scores are a guess when the language is unknown, unsure or not trained for."""
        return (
            language.code is None
            or not language.supported
            or language.confidence < self.min_confidence
        )
