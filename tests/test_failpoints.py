"""Failpoints (gigcx/faults.py): inert unless the environment names them."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError

from gigcx import faults


def test_the_spec_names_points_actions_and_limits() -> None:
    assert faults.parse("a.b=sleep:2.5@1, c=exit,") == {
        "a.b": faults.Action("sleep", 2.5, 1),
        "c": faults.Action("exit"),
    }
    assert faults.parse("x=error@3") == {"x": faults.Action("error", 0.0, 3)}
    assert faults.parse("") == {}


@pytest.mark.parametrize("spec", ["a", "a=", "a=nap:1", "a=sleep:x", "a=exit@x", "=exit"])
def test_a_bad_spec_stops_the_process(spec: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="GIGCX_FAILPOINTS"):
        faults.parse(spec)


def test_an_unnamed_point_does_nothing_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    marker = tmp_path / "reached"
    monkeypatch.setattr(faults, "_ACTIONS", faults.parse("other=exit"))
    monkeypatch.setattr(faults, "_MARKER", str(marker))
    faults.failpoint("triage.write", 7)
    assert not marker.exists()


def test_a_named_point_is_marked_before_it_acts_and_acts_only_n_times(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # given: a point that exits on its first two hits
    marker = tmp_path / "reached"
    monkeypatch.setattr(faults, "_ACTIONS", faults.parse("route.locked=exit@2"))
    monkeypatch.setattr(faults, "_MARKER", str(marker))
    exits: list[int] = []

    def fake_exit(code: int) -> None:
        exits.append(code)

    monkeypatch.setattr(faults.os, "_exit", fake_exit)

    # when it is reached three times
    for key in (1, 2, 3):
        faults.failpoint("route.locked", key)

    # then every hit is in the marker file, and only the first two exited
    lines = marker.read_text().splitlines()
    assert [line.split(" ")[0] for line in lines] == ["route.locked"] * 3
    assert [line.split(" ")[2] for line in lines] == ["1", "2", "3"]
    assert len(exits) == 2


def test_an_error_point_raises_the_transient_database_error_tasks_retry_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(faults, "_ACTIONS", faults.parse("route.locked=error"))
    monkeypatch.setattr(faults, "_MARKER", "")
    with pytest.raises(OperationalError, match="failpoint route.locked"):
        faults.failpoint("route.locked", 1)
