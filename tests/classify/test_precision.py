"""Lower precision must not change what moderators see, only how fast they see it."""

from __future__ import annotations

import pytest

from classify.precision import resolve_precision
from classify.scoring import Scorer, TextScores
from classify.settings import ClassifySettings
from ingest.demo import demo_posts_path
from ingest.sources.replay import iter_posts

POSTS = 100


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [post.text for post in iter_posts(demo_posts_path())][:POSTS]


@pytest.fixture(scope="module")
def fp32_results(texts: list[str]) -> list[TextScores]:
    return Scorer.from_settings(ClassifySettings(model_precision="fp32")).score_texts(texts)


@pytest.fixture(scope="module")
def reference(fp32_results: list[TextScores]) -> list[dict[str, float]]:
    return [_flat(r) for r in fp32_results]


@pytest.fixture(scope="module")
def reference_labels(fp32_results: list[TextScores]) -> list[str]:
    return [r.sentiment.label.value for r in fp32_results]


def test_auto_resolves_to_a_concrete_precision() -> None:
    assert resolve_precision("auto") in {"fp32", "bf16"}
    assert resolve_precision("int8") == "int8"


def _flat(result: TextScores) -> dict[str, float]:
    return {**{k.value: v for k, v in result.sentiment.scores.items()}, **result.safety.scores}


def test_bf16_scores_match_fp32(texts: list[str], reference: list[dict[str, float]]) -> None:
    results = Scorer.from_settings(ClassifySettings(model_precision="bf16")).score_texts(texts)
    worst = max(
        abs(_flat(result)[key] - ref[key])
        for ref, result in zip(reference, results, strict=True)
        for key in ref
    )
    assert worst < 0.05, f"bf16 moved a probability by {worst:.3f}"


def test_int8_drift_stays_within_what_the_readme_states(
    texts: list[str], reference: list[dict[str, float]], reference_labels: list[str]
) -> None:
    # Dynamic int8 quantization is lossy on this small encoder (measured: ~82 % sentiment label
    # agreement with fp32 on demo posts); it is offered for CPUs without native bf16 and the
    # README says so. This guards against it getting worse, not against the drift itself.
    results = Scorer.from_settings(ClassifySettings(model_precision="int8")).score_texts(texts)
    diffs = [
        abs(_flat(result)[key] - ref[key])
        for ref, result in zip(reference, results, strict=True)
        for key in ref
    ]
    agreement = sum(
        r.sentiment.label.value == label for r, label in zip(results, reference_labels, strict=True)
    ) / len(texts)
    assert sum(diffs) / len(diffs) < 0.1
    assert agreement >= 0.7
