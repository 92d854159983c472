"""The hand-written GARM evaluation set is well-formed and covers what it claims to."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from classify.garm_eval import EVAL_SET, GarmExample, garm_report, load_eval_set
from classify.garm_terms import GARM_IDS
from contract import RiskLevel, SafetyScores


def test_eval_set_validates_and_covers_every_category_and_language() -> None:
    examples = load_eval_set()
    assert len(examples) >= 150
    assert sum(not e.categories for e in examples) >= 50
    per_category = Counter(c for e in examples for c in e.categories)
    assert set(per_category) == set(GARM_IDS)
    assert min(per_category.values()) >= 5
    languages = {e.lang for e in examples if e.categories}
    assert {"en", "es", "fr", "de", "pt", "it"} <= languages
    assert len({e.text for e in examples}) == len(examples)


def test_safe_posts_have_no_risk_and_risky_posts_have_some() -> None:
    for example in load_eval_set():
        assert (example.risk is RiskLevel.NONE) == (not example.categories), example.text


def test_an_unknown_category_is_an_error_naming_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "set.jsonl"
    bad.write_text(
        EVAL_SET.read_text(encoding="utf-8").splitlines()[0]
        + '\n{"text": "x", "lang": "en", "categories": ["weather"], "risk": "low"}\n'
    )
    with pytest.raises(ValueError, match=":2:"):
        load_eval_set(bad)


def test_report_counts_precision_recall_and_risk_accuracy() -> None:
    gold = [
        GarmExample(text="a", lang="en", categories=["terrorism"], risk=RiskLevel.FLOOR),
        GarmExample(text="b", lang="en", categories=[], risk=RiskLevel.NONE),
    ]
    said = [
        SafetyScores(scores={}, garm={"terrorism": 0.9}, risk=RiskLevel.HIGH),
        SafetyScores(scores={}, garm={"terrorism": 0.6}, risk=RiskLevel.NONE),
    ]
    report = garm_report(gold, said)
    assert report["categories"]["terrorism"]["precision"] == 0.5
    assert report["categories"]["terrorism"]["recall"] == 1.0
    assert report["risk_accuracy"] == 0.5
    assert report["risk_within_one"] == 1.0
    assert report["safe_posts_flagged"] == 0.0
    assert report["safe_posts_medium_or_worse"] == 0.0
