"""The verdicts of make bench-perf's "Done when" table (bench/perf_table.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from perf_table import TARGETS, ratio, table, verdict, verdicts  # noqa: E402


def test_higher_is_better_rows_pass_at_their_bounds_and_miss_below():
    target = TARGETS["routed_ratio"]  # must >= 0.25, aim >= 0.5
    assert verdict(target, 0.5) == "PASS (aim)"
    assert verdict(target, 0.49) == "PASS (must)"
    assert verdict(target, 0.25) == "PASS (must)"
    assert verdict(target, 0.2499) == "MISS"


def test_lower_is_better_rows_pass_at_their_bounds_and_miss_above():
    target = TARGETS["decision_p50_ms"]  # must <= 5 ms, aim <= 2 ms
    assert verdict(target, 2.0) == "PASS (aim)"
    assert verdict(target, 2.01) == "PASS (must)"
    assert verdict(target, 5.0) == "PASS (must)"
    assert verdict(target, 5.01) == "MISS"


def test_a_figure_not_measured_is_said_so_not_passed():
    assert verdict(TARGETS["embedded_routed"], None) == "not measured"
    assert verdicts({})["balance_1m_ms"] == "not measured"


def test_ratio_refuses_missing_or_zero_denominators():
    assert ratio(30, 120) == 0.25
    assert ratio(None, 120) is None
    assert ratio(30, None) is None
    assert ratio(30, 0) is None


def test_the_table_has_one_row_per_target_with_value_bounds_and_verdict():
    text = table(
        {"intake_ratio": 0.26, "balance_1m_ms": 0.4, "embedded_routed": 12.0},
        {"intake_ratio": "33 ÷ 128 req/s"},
    )
    lines = text.splitlines()
    assert len(lines) == 2 + len(TARGETS)
    intake = next(line for line in lines if line.startswith("| question intake"))
    assert intake == (
        "| question intake req/s ÷ bare DRF insert req/s | 0.26× | ≥ 0.60× | ≥ 0.90× | MISS "
        "| 33 ÷ 128 req/s |"
    )
    assert "| 0.40 ms | ≤ 2.00 ms | ≤ 1.00 ms | PASS (aim) |" in text
    assert "| 12.00 q/s | ≥ 10.00 q/s | ≥ 50.00 q/s | PASS (must) |" in text
    routed = next(line for line in lines if line.startswith("| questions routed"))
    assert "| - |" in routed
    assert "not measured" in routed
