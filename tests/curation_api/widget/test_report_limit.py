"""The limit of reports per client address: a sliding window."""

from __future__ import annotations

import pytest

from curation_api.widget.report_limit import ReportLimit, TooManyReports


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_address_over_the_limit_waits_until_its_oldest_report_leaves_the_window() -> None:
    clock = Clock()
    limit = ReportLimit(limit=3, window_s=60, clock=clock)
    for step in range(3):
        clock.now += step * 10  # reports at 1000, 1010, 1030
        limit.check("203.0.113.7")

    with pytest.raises(TooManyReports) as refused:
        limit.check("203.0.113.7")
    assert refused.value.headers == {"Retry-After": "30"}

    clock.now = 1060  # the first report (at 1000) has left the window
    limit.check("203.0.113.7")
    with pytest.raises(TooManyReports):
        limit.check("203.0.113.7")


def test_addresses_are_counted_apart() -> None:
    limit = ReportLimit(limit=1, window_s=60, clock=Clock())
    limit.check("203.0.113.7")
    limit.check("198.51.100.2")
    with pytest.raises(TooManyReports):
        limit.check("203.0.113.7")


def test_idle_addresses_are_forgotten_when_many_are_remembered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("curation_api.widget.report_limit.MAX_CLIENTS", 2)
    clock = Clock()
    limit = ReportLimit(limit=1, window_s=60, clock=clock)
    limit.check("a")
    limit.check("b")
    clock.now += 61

    limit.check("c")  # a and b are idle: forgotten, so a may report again
    limit.check("a")

    with pytest.raises(TooManyReports):
        limit.check("c")
