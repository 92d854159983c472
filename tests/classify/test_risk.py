"""Risk levels from task probabilities, and how thresholds are chosen on validation data."""

from __future__ import annotations

import pytest

from classify.garm import CategoryEvidence
from classify.garm_terms import GARM_IDS, TermHits
from classify.risk import GARM_CATEGORIES, Thresholds, assess_safety, garm_finding, pick_thresholds
from contract import RiskLevel

THRESHOLDS: Thresholds = {
    "hate": {"floor": 0.85, "high": 0.7, "medium": 0.5, "low": 0.3},
    "offensive": {"floor": None, "high": 0.8, "medium": 0.6, "low": 0.4},
}


def test_confident_hate_is_floor_with_a_readable_reason() -> None:
    safety = assess_safety({"offensive": 0.1, "hate": 0.91}, THRESHOLDS)
    assert safety.risk is RiskLevel.FLOOR
    assert safety.reasons == ["hate 0.91 ≥ 0.85 (floor)"]


def test_low_probabilities_are_no_risk_and_no_reasons() -> None:
    safety = assess_safety({"offensive": 0.39, "hate": 0.29}, THRESHOLDS)
    assert safety.risk is RiskLevel.NONE
    assert safety.reasons == []


def test_risk_is_the_worst_task_and_every_flagged_task_gives_a_reason_worst_first() -> None:
    safety = assess_safety({"offensive": 0.65, "hate": 0.75}, THRESHOLDS)
    assert safety.risk is RiskLevel.HIGH
    assert safety.reasons == ["hate 0.75 ≥ 0.70 (high)", "offensive 0.65 ≥ 0.60 (medium)"]


def test_threshold_is_inclusive() -> None:
    assert assess_safety({"offensive": 0.4, "hate": 0.0}, THRESHOLDS).risk is RiskLevel.LOW


def test_a_task_without_floor_threshold_never_reaches_floor() -> None:
    assert assess_safety({"offensive": 1.0, "hate": 0.0}, THRESHOLDS).risk is RiskLevel.HIGH


def test_scores_and_garm_categories_carry_the_task_probabilities() -> None:
    safety = assess_safety({"offensive": 0.2, "hate": 0.6}, THRESHOLDS)
    assert safety.scores == {"offensive": 0.2, "hate": 0.6}
    assert safety.garm == {
        GARM_CATEGORIES["hate"]: 0.6,
        GARM_CATEGORIES["offensive"]: 0.2,
    }
    assert set(safety.garm) == {"hate_speech_aggression", "obscenity_profanity"}


def test_a_task_without_thresholds_adds_no_risk() -> None:
    safety = assess_safety({"spam": 0.99}, THRESHOLDS)
    assert safety.risk is RiskLevel.NONE
    assert safety.scores == {"spam": 0.99}


def _separable(n: int = 100) -> tuple[list[float], list[bool]]:
    # Positives at 0.51..1.00, negatives at 0.00..0.49: every target is reachable.
    probs = [i / 100 for i in range(n)]
    return probs, [p > 0.5 for p in probs]


def test_picked_thresholds_rise_with_severity() -> None:
    probs = [0.05, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.62, 0.7, 0.8, 0.9, 0.95] * 5
    labels = [False, False, True, False, True, False, True, True, False, True, True, True, True] * 5
    chosen = pick_thresholds(probs, labels, floor_precision=0.95, min_flagged=5)
    values = [chosen[level] for level in ("low", "medium", "high", "floor")]
    assert all(v is not None for v in values)
    assert values == sorted(values)  # type: ignore[type-var]


def test_floor_is_unreachable_when_no_threshold_is_precise_enough() -> None:
    probs = [0.9, 0.9, 0.8] * 10
    labels = [True, False, False] * 10
    chosen = pick_thresholds(probs, labels, floor_precision=0.99, min_flagged=5)
    assert chosen["floor"] is None
    assert chosen["high"] is None


def test_thresholds_are_not_backed_by_a_handful_of_examples() -> None:
    probs, labels = _separable()
    assert pick_thresholds(probs, labels, floor_precision=1.0, min_flagged=60)["floor"] is None
    assert pick_thresholds(probs, labels, floor_precision=1.0, min_flagged=10)["floor"] == 0.51


def test_without_floor_precision_the_task_has_no_floor_threshold() -> None:
    probs, labels = _separable()
    assert pick_thresholds(probs, labels)["floor"] is None


def test_picking_thresholds_needs_positives() -> None:
    with pytest.raises(ValueError, match="positive"):
        pick_thresholds([0.1, 0.2], [False, False])


def test_milder_levels_give_way_when_a_precise_threshold_lies_below_the_recall_one() -> None:
    # Perfectly separable: precision 0.8 is reached below the threshold that keeps 90% recall.
    probs, labels = _separable()
    chosen = pick_thresholds(probs, labels)
    assert chosen["high"] is not None
    assert chosen["low"] == chosen["medium"] == chosen["high"]


def evidence(
    category: str,
    *,
    terms: tuple[str, ...] = (),
    mild: tuple[str, ...] = (),
    prototype: float = 0.0,
) -> CategoryEvidence:
    return CategoryEvidence(category, 0.0, TermHits(terms, mild), prototype)


def test_terrorism_term_and_close_prototype_is_floor_with_the_evidence_named() -> None:
    found = garm_finding(evidence("terrorism", terms=("suicide bomber",), prototype=0.87))
    assert found == (RiskLevel.FLOOR, "terrorism: term 'suicide bomber' + prototype 0.87 → floor")


def test_a_single_term_is_a_mention() -> None:
    assert garm_finding(evidence("arms_ammunition", terms=("rifle",))) == (
        RiskLevel.MEDIUM,
        "arms_ammunition: term 'rifle' → medium",
    )


def test_debated_social_issues_stop_at_medium_however_strong() -> None:
    found = garm_finding(
        evidence("debated_sensitive_social_issues", mild=("a", "b", "c"), prototype=1.0)
    )
    assert found is not None
    assert found[0] is RiskLevel.MEDIUM


def test_alcohol_alone_is_low_and_illegal_drugs_are_medium() -> None:
    beer = garm_finding(evidence("drugs_tobacco_alcohol", mild=("beer",), prototype=0.2))
    cocaine = garm_finding(evidence("drugs_tobacco_alcohol", terms=("cocaine",)))
    assert beer is not None
    assert beer[0] is RiskLevel.LOW
    assert cocaine is not None
    assert cocaine[0] is RiskLevel.MEDIUM


def test_a_prototype_without_terms_only_asks_for_a_look() -> None:
    found = garm_finding(evidence("terrorism", prototype=1.0))
    assert found == (RiskLevel.LOW, "terrorism: prototype 1.00 → low")


def test_weak_resemblance_is_no_finding() -> None:
    assert garm_finding(evidence("terrorism", prototype=0.2)) is None


def test_risk_is_the_worst_of_tasks_and_categories_and_notes_come_last() -> None:
    garm = {c: evidence(c) for c in GARM_IDS}
    garm["terrorism"] = evidence("terrorism", terms=("isis", "car bomb"), prototype=0.6)
    safety = assess_safety(
        {"offensive": 0.65, "hate": 0.1}, THRESHOLDS, garm=garm, notes=["language note"]
    )
    assert safety.risk is RiskLevel.FLOOR
    assert safety.reasons[0].startswith("terrorism: term 'isis' + term 'car bomb'")
    assert safety.reasons[1] == "offensive 0.65 ≥ 0.60 (medium)"
    assert safety.reasons[-1] == "language note"
    assert set(safety.garm) == set(GARM_IDS)
