"""The "Done when" table of ``make bench-perf``: each figure against its must and aim.

Pure functions (no Django), so the verdicts are unit-tested (tests/test_bench_perf_table.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    figure: str
    must: float
    aim: float
    higher_is_better: bool
    unit: str = "×"  # how the value reads: a ratio, "ms" or "q/s"


TARGETS: dict[str, Target] = {
    "decision_p50_ms": Target("routing decision p50 at the largest pool", 5, 2, False, "ms"),
    "decision_growth": Target(
        "routing decision largest ÷ smallest pool (worst step, p50 or p99)", 1.5, 1.2, False
    ),
    "routed_ratio": Target("questions routed/s ÷ Celery no-op tasks/s", 0.25, 0.5, True),
    "offer_p50_ratio": Target("question → offer stored p50 ÷ no-op round trip p50", 5, 3, False),
    "offer_p99_ratio": Target("question → offer stored p99 ÷ no-op round trip p99", 10, 5, False),
    "intake_ratio": Target("question intake req/s ÷ bare DRF insert req/s", 0.6, 0.9, True),
    "earnings_ratio": Target("earnings booked/s ÷ pgbench small transactions/s", 0.5, 0.7, True),
    "balance_1m_ms": Target("a balance at 1M postings, p50", 2, 1, False, "ms"),
    "embedded_routed": Target("embedded default, routed/s", 10, 50, True, "q/s"),
}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator ÷ denominator, or None when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def verdict(target: Target, value: float | None) -> str:
    """ "PASS (aim)", "PASS (must)", "MISS" or "not measured"."""
    if value is None:
        return "not measured"

    def meets(bound: float) -> bool:
        return value >= bound if target.higher_is_better else value <= bound

    if meets(target.aim):
        return "PASS (aim)"
    if meets(target.must):
        return "PASS (must)"
    return "MISS"


def _number(value: float, unit: str) -> str:
    text = f"{value:.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{text} {unit}" if unit != "×" else f"{text}×"


def table(values: dict[str, float | None], notes: dict[str, str] | None = None) -> str:
    """A Markdown table: figure, value, must, aim, verdict (and what the value was made of)."""
    notes = notes or {}
    sign = {True: "≥", False: "≤"}
    lines = [
        "| figure | value | must | aim | verdict | from |",
        "|---|---|---|---|---|---|",
    ]
    for key, target in TARGETS.items():
        value = values.get(key)
        shown = "-" if value is None else _number(value, target.unit)
        must = f"{sign[target.higher_is_better]} {_number(target.must, target.unit)}"
        aim = f"{sign[target.higher_is_better]} {_number(target.aim, target.unit)}"
        lines.append(
            f"| {target.figure} | {shown} | {must} | {aim} | {verdict(target, value)} "
            f"| {notes.get(key, '')} |"
        )
    return "\n".join(lines)


def verdicts(values: dict[str, float | None]) -> dict[str, str]:
    return {key: verdict(target, values.get(key)) for key, target in TARGETS.items()}
