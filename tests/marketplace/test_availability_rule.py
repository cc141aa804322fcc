"""The window rule on its own: which instant is inside which weekly window, in which zone."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from marketplace.availability import expert_zone, window_end_at, window_next_start

BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY = 2
# Wednesday 9:00-12:00 on the expert's wall clock.
MORNING = [(WEDNESDAY, time(9, 0), time(12, 0))]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "inside"),
    [
        (utc(2026, 12, 2, 7, 59, 59), False),  # 08:59:59 in Berlin (winter, UTC+1)
        (utc(2026, 12, 2, 8, 0, 0), True),  # 09:00 sharp: the start is inside
        (utc(2026, 12, 2, 10, 59, 59), True),
        (utc(2026, 12, 2, 11, 0, 0), False),  # 12:00 sharp: the end is not
        (utc(2026, 12, 9, 9, 0, 0), True),  # the next Wednesday, same hours
        (utc(2026, 12, 3, 9, 0, 0), False),  # Thursday
    ],
)
def test_start_is_inside_and_end_is_not(at: datetime, inside: bool) -> None:
    ends = window_end_at(MORNING, BERLIN, at)
    assert (ends is not None) == inside
    if inside:
        assert ends == utc(at.year, at.month, at.day, 11, 0)


def test_the_same_instant_is_inside_in_berlin_and_outside_in_utc() -> None:
    at = utc(2026, 12, 2, 8, 30)  # 09:30 in Berlin, 08:30 in London/UTC
    assert window_end_at(MORNING, BERLIN, at) == utc(2026, 12, 2, 11, 0)
    assert window_end_at(MORNING, ZoneInfo("UTC"), at) is None


def test_a_window_keeps_its_wall_clock_hours_across_daylight_saving() -> None:
    # Berlin is UTC+2 in summer: 09:00-12:00 local is 07:00-10:00 UTC on a summer Wednesday.
    summer = utc(2027, 6, 2, 7, 0)
    assert window_end_at(MORNING, BERLIN, summer) == utc(2027, 6, 2, 10, 0)
    assert window_end_at(MORNING, BERLIN, utc(2027, 6, 2, 10, 0)) is None


def test_the_weekday_is_the_experts_not_utcs() -> None:
    # Tuesday 23:30 UTC is Wednesday 00:30 in Berlin.
    midnight = [(WEDNESDAY, time(0, 0), time(1, 0))]
    assert window_end_at(midnight, BERLIN, utc(2026, 12, 1, 23, 30)) == utc(2026, 12, 2, 0, 0)
    assert window_end_at(midnight, ZoneInfo("UTC"), utc(2026, 12, 1, 23, 30)) is None


def test_next_start_looks_across_the_week() -> None:
    # Wednesday 12:00 Berlin, after the window: the next one is a week later.
    assert window_next_start(MORNING, BERLIN, utc(2026, 12, 2, 11, 0)) == utc(2026, 12, 9, 8, 0)
    # Before it opens the same day.
    assert window_next_start(MORNING, BERLIN, utc(2026, 12, 2, 6, 0)) == utc(2026, 12, 2, 8, 0)
    assert window_next_start([], BERLIN, utc(2026, 12, 2, 6, 0)) is None


def test_no_windows_means_never_inside() -> None:
    assert window_end_at([], BERLIN, utc(2026, 12, 2, 9, 0)) is None


def test_an_unknown_or_empty_zone_falls_back_to_the_site_zone(settings: object) -> None:
    assert str(expert_zone("Mars/Olympus")) == "UTC"
    assert str(expert_zone("")) == "UTC"
    assert str(expert_zone("Europe/Berlin")) == "Europe/Berlin"
