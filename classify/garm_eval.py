"""The hand-written GARM evaluation set, and how well the scorer does on it.

``garm/eval_set.jsonl`` holds short posts written for this project (never copied from the shared
data): per category some risky posts in several languages, and brand posts that only sound
risky ("this mascara is killer", "bomb deal"). Each line names the categories a moderator would
tag and the risk level they would give. Guidelines used when labelling: terrorism and explicit
sexual content floor/high; weapons sales and violent crime high, mentions medium; profanity
medium (mild swearing low); alcohol and tobacco low, illegal drugs medium/high; debated issues
low, aggressive takes medium; brand posts none.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from classify.garm import GARM_DIR
from classify.garm_terms import GARM_IDS
from contract import RiskLevel, SafetyScores

EVAL_SET = GARM_DIR / "eval_set.jsonl"

# A category counts as flagged from this score: one explicit term reaches it, a head alone
# needs a probability above 0.83 (it is weighted 0.6), a prototype alone a close match.
FLAG_THRESHOLD = 0.5

_ORDER = [RiskLevel.NONE, RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH, RiskLevel.FLOOR]


class GarmExample(BaseModel):
    """One labeled post of the evaluation set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    lang: str
    categories: list[str]
    risk: RiskLevel

    @field_validator("categories")
    @classmethod
    def _known(cls, categories: list[str]) -> list[str]:
        unknown = set(categories) - set(GARM_IDS)
        if unknown:
            raise ValueError(f"unknown GARM categories {sorted(unknown)}")
        return categories


def load_eval_set(path: Path = EVAL_SET) -> list[GarmExample]:
    """Every example, validated; a bad line is an error naming the line."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            examples.append(GarmExample.model_validate_json(line))
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: {exc}") from None
    return examples


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": float(tp + fn)}


def garm_report(examples: Sequence[GarmExample], safety: Sequence[SafetyScores]) -> dict[str, Any]:
    """Per-category precision/recall/F1 (flagged = score ≥ :data:`FLAG_THRESHOLD`), their
    macro average, and the risk-bucket accuracy (exact, and within one level)."""
    per_category: dict[str, dict[str, float]] = {}
    for category in GARM_IDS:
        tp = fp = fn = 0
        for example, scores in zip(examples, safety, strict=True):
            flagged = scores.garm.get(category, 0.0) >= FLAG_THRESHOLD
            expected = category in example.categories
            tp += flagged and expected
            fp += flagged and not expected
            fn += expected and not flagged
        per_category[category] = _prf(tp, fp, fn)
    distance = [
        abs(_ORDER.index(s.risk) - _ORDER.index(e.risk))
        for e, s in zip(examples, safety, strict=True)
    ]
    safe = [s for e, s in zip(examples, safety, strict=True) if e.risk is RiskLevel.NONE]
    n = len(examples)
    return {
        "rows": n,
        "categories": per_category,
        "macro_f1": sum(c["f1"] for c in per_category.values()) / len(per_category),
        "risk_accuracy": sum(d == 0 for d in distance) / n if n else 0.0,
        "risk_within_one": sum(d <= 1 for d in distance) / n if n else 0.0,
        # Brand posts that would be held back: what a false alarm costs a brand.
        "safe_posts_flagged": (
            sum(s.risk is not RiskLevel.NONE for s in safe) / len(safe) if safe else 0.0
        ),
        # ``low`` asks for a look; ``medium`` and worse are what a brand's rules hold back.
        "safe_posts_medium_or_worse": (
            sum(s.risk not in (RiskLevel.NONE, RiskLevel.LOW) for s in safe) / len(safe)
            if safe
            else 0.0
        ),
    }


def format_garm_report(report: dict[str, Any]) -> list[str]:
    """Human-readable lines for :func:`garm_report`."""
    lines = [f"GARM eval set ({report['rows']} posts, flagged = score ≥ {FLAG_THRESHOLD})"]
    lines.append(f"  {'category':<34} {'P':>6} {'R':>6} {'F1':>6} {'n':>4}")
    for category, m in report["categories"].items():
        lines.append(
            f"  {category:<34} {m['precision']:6.2f} {m['recall']:6.2f} {m['f1']:6.2f} "
            f"{int(m['support']):4d}"
        )
    lines.append(f"  macro-F1 {report['macro_f1']:.3f}")
    lines.append(
        f"  risk accuracy {report['risk_accuracy']:.3f} (within one level "
        f"{report['risk_within_one']:.3f}); safe posts flagged {report['safe_posts_flagged']:.3f} "
        f"(medium or worse {report['safe_posts_medium_or_worse']:.3f})"
    )
    return lines
