import pytest

from contract.dead_letters import DeadLetterBudget, DeadLetterRatioExceeded


def test_a_trickle_of_poison_is_tolerated() -> None:
    budget = DeadLetterBudget(0.5, window=10)
    for _ in range(5):
        budget.record(total=10, poisoned=1)


def test_nothing_is_judged_before_a_full_window_by_default() -> None:
    DeadLetterBudget(0.5, window=10).record(total=9, poisoned=9)


def test_a_flood_raises() -> None:
    budget = DeadLetterBudget(0.5, window=10)
    budget.record(total=5, poisoned=0)
    with pytest.raises(DeadLetterRatioExceeded, match="6 of the last 10"):
        budget.record(total=6, poisoned=6)
