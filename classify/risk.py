"""From task probabilities to a GARM-style brand-safety verdict, and how its thresholds are chosen.

Pure functions: no model, no I/O. The thresholds live in ``heads.json`` because they belong to
one set of trained heads (their probabilities are only comparable with their own thresholds).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from classify.garm import HEAD_FOR_CATEGORY, CategoryEvidence
from contract import RiskLevel, SafetyScores

# The GARM category each learned task stands for.
GARM_CATEGORIES: dict[str, str] = {task: category for category, task in HEAD_FOR_CATEGORY.items()}

# Worst first; ``none`` is what is left when no threshold is reached.
LEVELS: tuple[RiskLevel, ...] = (RiskLevel.FLOOR, RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW)
_SEVERITY = {level: rank for rank, level in enumerate((*LEVELS, RiskLevel.NONE))}

Thresholds = Mapping[str, Mapping[str, float | None]]

# Fused term/prototype evidence (:attr:`CategoryEvidence.fused`) is a *mention* from one term
# or a clear resemblance, and *strong* from three terms, two terms and a prototype (≥ 0.25),
# or one term and a close prototype (≥ 0.75).
MENTION = 0.3
STRONG = 0.8

_L = RiskLevel
# Category -> (level of a mention, level of strong evidence). Terrorism and explicit sexual
# content are never monetised on strong evidence; debated social issues are legitimate
# conversation that some brands merely avoid, so they stop at ``medium``.
GARM_LEVELS: dict[str, tuple[RiskLevel, RiskLevel]] = {
    "adult_explicit": (_L.HIGH, _L.FLOOR),
    "arms_ammunition": (_L.MEDIUM, _L.HIGH),
    "crime_harmful_acts": (_L.MEDIUM, _L.HIGH),
    # Terms cannot tell graphic images from news reports, so even strong evidence stays medium.
    "death_injury_military_conflict": (_L.MEDIUM, _L.MEDIUM),
    "online_piracy": (_L.MEDIUM, _L.MEDIUM),
    "hate_speech_aggression": (_L.HIGH, _L.FLOOR),
    "obscenity_profanity": (_L.LOW, _L.MEDIUM),
    "drugs_tobacco_alcohol": (_L.MEDIUM, _L.HIGH),
    "spam_harmful_content": (_L.MEDIUM, _L.MEDIUM),
    "terrorism": (_L.HIGH, _L.FLOOR),
    "debated_sensitive_social_issues": (_L.LOW, _L.MEDIUM),
}
# Swearing is a matter of density: two distinct swear words are already strong evidence.
GARM_STRONG_AT: dict[str, float] = {"obscenity_profanity": 0.74}
# When only mild terms matched (alcohol and tobacco rather than illegal drugs).
GARM_MILD_LEVELS: dict[str, tuple[RiskLevel, RiskLevel]] = {
    "drugs_tobacco_alcohol": (_L.LOW, _L.MEDIUM),
}
# A prototype without a single term is a resemblance, not a finding: it asks for a look and
# never more, whatever the category.
PROTOTYPE_ONLY_LEVEL = _L.LOW


def assess_safety(
    probabilities: Mapping[str, float],
    thresholds: Thresholds,
    *,
    garm: Mapping[str, CategoryEvidence] | None = None,
    notes: Sequence[str] = (),
) -> SafetyScores:
    """The risk level is the worst level any task or GARM category reaches; each says why.

    ``thresholds`` maps task -> level name -> probability (``None`` or absent: that task never
    reaches that level). A task without thresholds is reported in ``scores`` but adds no risk.
    ``garm`` is the evidence per category (:func:`classify.garm.combine`); without it the GARM
    scores are the tasks' probabilities. ``notes`` (e.g. low-confidence language) are appended
    to the reasons when something was flagged, since they qualify a verdict.
    """
    findings: list[tuple[RiskLevel, str]] = []
    for task, p in probabilities.items():
        level, threshold = _level_of(p, thresholds.get(task, {}))
        if threshold is not None:
            findings.append((level, f"{task} {p:.2f} ≥ {threshold:.2f} ({level.value})"))
    if garm is None:
        scores = {GARM_CATEGORIES[t]: p for t, p in probabilities.items() if t in GARM_CATEGORIES}
    else:
        scores = {category: evidence.score for category, evidence in garm.items()}
        findings += [f for evidence in garm.values() if (f := garm_finding(evidence))]
    findings.sort(key=lambda f: _SEVERITY[f[0]])
    return SafetyScores(
        scores=dict(probabilities),
        garm=scores,
        risk=findings[0][0] if findings else RiskLevel.NONE,
        reasons=[reason for _, reason in findings] + list(notes),
    )


def garm_finding(evidence: CategoryEvidence) -> tuple[RiskLevel, str] | None:
    """The level terms and prototypes give a category, with a reason naming the evidence."""
    fused = evidence.fused
    if fused < MENTION:
        return None
    hits = evidence.hits
    if not (hits.terms or hits.mild):
        level = PROTOTYPE_ONLY_LEVEL
    else:
        table = GARM_MILD_LEVELS if not hits.terms else GARM_LEVELS
        mention, strong = table.get(evidence.category, GARM_LEVELS[evidence.category])
        level = strong if fused >= GARM_STRONG_AT.get(evidence.category, STRONG) else mention
    parts = [f"term '{t}'" for t in (*hits.terms, *hits.mild)]
    if evidence.prototype > 0:
        parts.append(f"prototype {evidence.prototype:.2f}")
    return level, f"{evidence.category}: {' + '.join(parts)} → {level.value}"


def _level_of(p: float, levels: Mapping[str, float | None]) -> tuple[RiskLevel, float | None]:
    for level in LEVELS:
        threshold = levels.get(level.value)
        if threshold is not None and p >= threshold:
            return level, threshold
    return RiskLevel.NONE, None


def pick_thresholds(
    probabilities: Sequence[float],
    positives: Sequence[bool],
    *,
    low_recall: float = 0.9,
    high_precision: float = 0.8,
    floor_precision: float | None = None,
    min_flagged: int = 10,
) -> dict[str, float | None]:
    """Choose a task's thresholds on validation data.

    - ``low``: the highest threshold that still flags ``low_recall`` of the positives
      (worth a look);
    - ``medium``: the threshold with the best F1 for the positive class;
    - ``high``: the lowest threshold whose flagged posts are ``high_precision`` positive;
    - ``floor``: the same at ``floor_precision``; ``None`` keeps the task off the floor level.

    A precision target that no threshold flagging at least ``min_flagged`` posts reaches gives
    ``None``: the level is unreachable rather than backed by a handful of examples. Thresholds
    are rounded to two decimals (as the reasons print them) and never decrease with severity.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(positives, dtype=bool)
    if p.shape != y.shape or p.ndim != 1 or not y.any():
        raise ValueError("need one probability per label and at least one positive")
    order = np.argsort(-p, kind="stable")
    p_sorted, y_sorted = p[order], y[order]
    flagged = np.arange(1, len(p) + 1)
    true_pos = np.cumsum(y_sorted)
    # Only the last index of a run of equal probabilities is a real cut point.
    cut = np.append(p_sorted[1:] != p_sorted[:-1], True)
    precision = true_pos / flagged
    recall = true_pos / y.sum()
    f1 = np.where(true_pos > 0, 2 * precision * recall / (precision + recall + 1e-12), 0.0)

    def lowest_with_precision(target: float | None) -> float | None:
        if target is None:
            return None
        ok = np.flatnonzero(cut & (precision >= target) & (flagged >= min_flagged))
        return float(p_sorted[ok[-1]]) if ok.size else None

    low = float(p_sorted[np.flatnonzero(cut & (recall >= low_recall))[0]])
    medium = float(p_sorted[np.flatnonzero(cut)[np.argmax(f1[cut])]])
    chosen: dict[str, float | None] = {
        RiskLevel.LOW.value: low,
        RiskLevel.MEDIUM.value: medium,
        RiskLevel.HIGH.value: lowest_with_precision(high_precision),
        RiskLevel.FLOOR.value: lowest_with_precision(floor_precision),
    }
    # Where targets cross (a precise threshold below the recall one), the milder level gives
    # way: a lower threshold only adds recall, which is what the milder levels are for.
    ceiling = 1.0
    for level in LEVELS:
        value = chosen[level.value]
        if value is not None:
            ceiling = min(ceiling, _round_up(value))
            chosen[level.value] = ceiling
    return {level.value: chosen[level.value] for level in LEVELS}


def _round_up(value: float) -> float:
    # Up, not to nearest: a rounded threshold must not flag posts the chosen one did not.
    return float(min(np.ceil(value * 100 - 1e-9) / 100, 1.0))
