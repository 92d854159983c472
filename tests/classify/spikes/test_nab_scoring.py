"""The NAB scoring of ``bench/alerts_nab.py`` on a hand-made series with a known score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bench.alerts_nab import PROFILES, LabelledSeries, corpus_score, score_detections


def series() -> LabelledSeries:
    # 100 rows (probation: the first 15), one window over rows 40..49.
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return LabelledSeries(
        name="folder/one.csv",
        timestamps=[start + timedelta(minutes=5 * i) for i in range(100)],
        values=[0.0] * 100,
        windows=[(40, 49)],
    )


def test_a_detection_at_the_left_edge_scores_100_and_none_scores_0() -> None:
    standard = PROFILES[0]
    labelled = series()
    assert corpus_score([labelled], {labelled.name: [40]}, standard) == pytest.approx(100.0)
    assert corpus_score([labelled], {labelled.name: []}, standard) == pytest.approx(0.0)


def test_earliest_detection_counts_false_positives_cost_and_probation_is_ignored() -> None:
    labelled = series()
    # 10: probation (ignored); 20: before any window (-fp); 45: the hit (mid-window, 0.8598);
    # 47: a later hit in the same window (nothing); 50: just after the window (-fp * 0.2708);
    # 80: more than 3 window widths after it (-fp).
    detections = [10, 20, 45, 47, 50, 80]
    standard, low_fp, low_fn = PROFILES
    assert score_detections(labelled, detections, standard) == pytest.approx(0.6099994, abs=1e-6)
    assert corpus_score([labelled], {labelled.name: detections}, standard) == pytest.approx(
        80.49997, abs=1e-4
    )
    assert corpus_score([labelled], {labelled.name: detections}, low_fn) == pytest.approx(
        86.99998, abs=1e-4
    )
    assert corpus_score([labelled], {labelled.name: detections}, low_fp) < 80.0


def test_a_missed_window_costs_the_false_negative_weight() -> None:
    labelled = series()
    assert score_detections(labelled, [90], PROFILES[0]) == pytest.approx(-1.11)
    assert score_detections(labelled, [], PROFILES[2]) == pytest.approx(-2.0)
