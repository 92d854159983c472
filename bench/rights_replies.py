"""Consent reading: the rule-based reader against a naive baseline, on the labeled reply sets.

For each set (by default the tuning part ``tests/curation_api/rights/replies.jsonl`` and the
held-out part ``replies_holdout.jsonl``) it prints, for the reader and for the baseline:
precision, recall and support per decision, the confusion matrix (rows: label, columns:
decision), accuracy, and the number of false grants (a reply granted that a person labeled
otherwise; must be 0 for the reader). The baseline is what a first attempt looks like: the
author's reply is ``granted`` if the approval hashtag appears anywhere in it (case-insensitive
substring), else ``unclear``; another account's reply is ``not_author``.

Usage: .venv/bin/python bench/rights_replies.py [SET.jsonl ...]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from curation_api.rights.consent import ConsentDecision, read_reply

SETS = Path(__file__).resolve().parents[1] / "tests" / "curation_api" / "rights"
DEFAULT_SETS = (SETS / "replies.jsonl", SETS / "replies_holdout.jsonl")
DECISIONS = [d.value for d in ConsentDecision]

Reader = Callable[[dict[str, Any]], str]


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def rule_reader(row: dict[str, Any]) -> str:
    return read_reply(
        row["text"],
        reply_author_id=row["reply_author_id"],
        post_author_id=row["post_author_id"],
        approval_hashtag=row["approval_hashtag"],
        brand_handle=row.get("brand_handle"),
        require_mention=row.get("require_mention", False),
        language=row.get("language"),
    ).decision.value


def baseline_reader(row: dict[str, Any]) -> str:
    if row["reply_author_id"] != row["post_author_id"]:
        return "not_author"
    tag = row["approval_hashtag"].casefold()
    return "granted" if tag in row["text"].casefold() else "unclear"


def report(name: str, rows: list[dict[str, Any]], reader: Reader) -> dict[str, float]:
    pairs = [(row["expected"], reader(row)) for row in rows]
    confusion = Counter(pairs)
    print(f"  {name}")
    print(f"    {'decision':<11}{'precision':>10}{'recall':>8}{'support':>9}")
    for decision in DECISIONS:
        support = sum(confusion[decision, d] for d in DECISIONS)
        predicted = sum(confusion[e, decision] for e in DECISIONS)
        hits = confusion[decision, decision]
        precision = f"{hits / predicted:.3f}" if predicted else "-"
        recall = f"{hits / support:.3f}" if support else "-"
        print(f"    {decision:<11}{precision:>10}{recall:>8}{support:>9}")
    print("    confusion (rows: label, columns: decision)")
    print("    " + " " * 11 + "".join(f"{d:>11}" for d in DECISIONS))
    for expected in DECISIONS:
        cells = "".join(f"{confusion[expected, d]:>11}" for d in DECISIONS)
        print(f"    {expected:<11}{cells}")
    accuracy = sum(confusion[d, d] for d in DECISIONS) / len(pairs)
    false_grants = sum(n for (e, d), n in confusion.items() if d == "granted" and e != "granted")
    print(f"    accuracy {accuracy:.3f}, false grants {false_grants}")
    return {"accuracy": accuracy, "false_grants": false_grants}


def main(paths: list[str]) -> int:
    failed = False
    for path in [Path(p) for p in paths] or list(DEFAULT_SETS):
        rows = load(path)
        print(f"{path.name}: {len(rows)} replies")
        rules = report("rule-based reader", rows, rule_reader)
        base = report("baseline (hashtag substring from the author)", rows, baseline_reader)
        print(
            f"  reader/baseline accuracy {rules['accuracy'] / base['accuracy']:.2f}x, "
            f"false grants {rules['false_grants']:.0f} vs {base['false_grants']:.0f}"
        )
        failed |= rules["false_grants"] > 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
