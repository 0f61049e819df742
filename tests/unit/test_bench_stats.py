"""The benchmark's arithmetic: percentiles, latency summaries, rates and ratios."""

from __future__ import annotations

import pytest

from bench.stats import latency_summary, percentile, rate, ratio


def test_percentile_interpolates_between_ranks() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == 2.5
    assert percentile(list(map(float, range(1, 101))), 99) == pytest.approx(99.01)


def test_percentile_of_nothing_is_none_and_out_of_range_is_refused() -> None:
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)


def test_latency_summary_reports_milliseconds() -> None:
    summary = latency_summary([0.010, 0.020, 0.030])
    assert summary == {
        "count": 3,
        "p50_ms": 20.0,
        "p95_ms": 29.0,
        "p99_ms": 29.8,
        "max_ms": 30.0,
    }
    assert latency_summary([])["p50_ms"] is None


def test_rate_and_ratio() -> None:
    assert rate(300, 2.0) == 150.0
    assert rate(5, 0.0) == 0.0
    assert ratio(250.0, 1000.0) == 0.25
    assert ratio(None, 1000.0) is None
    assert ratio(10.0, 0.0) is None
    assert ratio(10.0, None) is None
