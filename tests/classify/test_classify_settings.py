"""Settings of the classify deployable that need no model: the dead-letter cap's names."""

from __future__ import annotations

import pytest

from classify.settings import ClassifySettings


def test_the_worker_dead_letter_cap_reads_its_new_names_and_the_deprecated_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UGC_DLQ_MAX_RATIO", "0.2")
    monkeypatch.setenv("UGC_DLQ_WINDOW", "10")
    settings = ClassifySettings()
    assert (settings.classify_dlq_max_ratio, settings.classify_dlq_window) == (0.2, 10)

    monkeypatch.setenv("UGC_CLASSIFY_DLQ_MAX_RATIO", "0.3")
    monkeypatch.setenv("UGC_CLASSIFY_DLQ_WINDOW", "20")
    settings = ClassifySettings()
    assert (settings.classify_dlq_max_ratio, settings.classify_dlq_window) == (0.3, 20)


def test_the_worker_dead_letter_cap_defaults_to_half_of_the_last_two_hundred(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (
        "UGC_CLASSIFY_DLQ_MAX_RATIO",
        "UGC_CLASSIFY_DLQ_WINDOW",
        "UGC_DLQ_MAX_RATIO",
        "UGC_DLQ_WINDOW",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = ClassifySettings()
    assert (settings.classify_dlq_max_ratio, settings.classify_dlq_window) == (0.5, 200)
