"""Offline language detection, and whether the models were trained for what it found.

``py3langid`` ships its naive-Bayes model inside the wheel (about 4.5 MB installed), so the
classifier needs no network and no download at start. Its ``classify`` walks each text's bytes
through the model's automaton in a Python loop; :meth:`LanguageDetector.detect_all` walks a
whole batch in step with numpy instead (the same automaton, features and naive-Bayes sums, so
the same answers) at a fifth of the cost per post.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from contract import DetectedLanguage

# Fewer letters than this is not a language, whatever the detector says ("ok", "🔥🔥", "@user").
MIN_LETTERS = 3

_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+", re.IGNORECASE)
# MIN_LETTERS letters anywhere; the search stops at the last one it needs.
_ENOUGH_LETTERS = re.compile(r"[^\W\d_]" + r"(?:.*?[^\W\d_])" * (MIN_LETTERS - 1), re.DOTALL)

NO_LANGUAGE = DetectedLanguage(code=None, confidence=0.0, supported=False)


def _has_letters(cleaned: str) -> bool:
    return _ENOUGH_LETTERS.search(cleaned) is not None


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
        self._walker = _BatchWalker(self._identifier)

    def detect(self, text: str) -> DetectedLanguage:
        """The language of one post; ``code`` is None when the text has too few letters."""
        return self.detect_all([text])[0]

    def detect_all(self, texts: Sequence[str]) -> list[DetectedLanguage]:
        """One detection per text, in order, the whole batch at once."""
        cleaned = [_NOISE.sub(" ", text) for text in texts]
        wanted = [i for i, text in enumerate(cleaned) if _has_letters(text)]
        results = [NO_LANGUAGE] * len(texts)
        found = self._walker.classify([cleaned[i] for i in wanted])
        for i, (code, confidence) in zip(wanted, found, strict=True):
            results[i] = self._detected(code, confidence)
        return results

    def detect_one_by_one(self, texts: Sequence[str]) -> list[DetectedLanguage]:
        """What py3langid's own ``classify`` says, text by text: the reference the tests hold
        :meth:`detect_all` to."""
        results = []
        for text in texts:
            cleaned = _NOISE.sub(" ", text)
            if not _has_letters(cleaned):
                results.append(NO_LANGUAGE)
                continue
            code, confidence = self._identifier.classify(cleaned)
            results.append(self._detected(str(code), float(confidence)))
        return results

    def _detected(self, code: str, confidence: float) -> DetectedLanguage:
        return DetectedLanguage(
            code=code, confidence=min(max(confidence, 0.0), 1.0), supported=code in self.supported
        )

    def is_low_confidence(self, language: DetectedLanguage) -> bool:
        """Scores are a guess when the language is unknown, unsure or not trained for."""
        return (
            language.code is None
            or not language.supported
            or language.confidence < self.min_confidence
        )


class _BatchWalker:
    """py3langid's naive Bayes over a batch: every text's bytes go through the model's
    automaton in step (one numpy gather per byte position for the whole batch), and the
    feature counts of all texts are summed against the model's table together.

    It reads the identifier's model arrays (``tk_nextmove``, ``tk_output``, ``nb_ptc``, ...),
    which are not a documented API: ``tests/classify/test_language.py`` holds it to
    ``classify`` text by text, so that a py3langid release that changes them fails there.
    """

    def __init__(self, identifier: Any) -> None:
        self._identifier = identifier
        # A view, not a copy: the automaton has ten million entries.
        nextmove = identifier.tk_nextmove
        self._next = np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}")
        self._rowbase = np.asarray(identifier._rowbase, dtype=np.int32)
        self._output = np.asarray(identifier.tk_output, dtype=np.int32)
        # After set_languages: only the candidate languages' columns (float16, kept as is).
        self._table = np.asarray(identifier.nb_ptc)
        self._prior = np.asarray(identifier.nb_pc, dtype=np.float32)
        self._classes = [str(c) for c in identifier.nb_classes]
        self._alias_pairs = list(identifier._alias_pairs)
        self._features = self._table.shape[0]

    def classify(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        if not texts:
            return []
        encoded = [self._identifier._encode(text) for text in texts]
        lengths = np.array([len(b) for b in encoded], dtype=np.int64)
        order = np.argsort(-lengths, kind="stable")  # longest first: the active rows are a prefix
        longest = int(lengths[order[0]])
        data = np.zeros((len(texts), max(longest, 1)), dtype=np.int32)
        for row, index in enumerate(order):
            raw = encoded[index]
            data[row, : len(raw)] = np.frombuffer(raw, dtype=np.uint8)
        sorted_lengths = lengths[order]
        # active[t]: how many texts still have a byte at position t.
        active = np.searchsorted(-sorted_lengths, -np.arange(longest), side="left")
        state = np.zeros(len(texts), dtype=np.int32)
        rows_found, features_found = [], []
        for t in range(longest):
            n = int(active[t])
            state[:n] = self._next[self._rowbase[state[:n]] + data[:n, t]]
            feature = self._output[state[:n]]
            hit = np.flatnonzero(feature >= 0)
            if hit.size:
                rows_found.append(hit)
                features_found.append(feature[hit])
        scores = np.zeros((len(texts), len(self._classes)), dtype=np.float32)
        if rows_found:
            keys = np.concatenate(rows_found).astype(np.int64) * self._features + np.concatenate(
                features_found
            )
            unique, counts = np.unique(keys, return_counts=True)
            rows, features = np.divmod(unique, self._features)
            table_rows = self._table[features].astype(np.float32)
            weighted = np.log1p(counts.astype(np.float32))[:, None] * table_rows
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            scores[rows[starts]] = np.add.reduceat(weighted, starts, axis=0) + self._prior
        # As py3langid with norm_probs: softmax at temperature sqrt(bytes), aliases folded.
        original = np.empty_like(order)
        original[order] = np.arange(len(order))
        scores = scores[original] / np.sqrt(np.maximum(lengths, 1)).astype(np.float32)[:, None]
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        scores /= scores.sum(axis=1, keepdims=True)
        for i, j in self._alias_pairs:
            scores[:, i] += scores[:, j]
            scores[:, j] = 0.0
        best = scores.argmax(axis=1)
        confidence = scores[np.arange(len(texts)), best].tolist()
        return [(self._classes[b], c) for b, c in zip(best.tolist(), confidence, strict=True)]
