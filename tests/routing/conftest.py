"""Routing fixtures shared by the workspace tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``clock.at(instant)`` pins ``django.utils.timezone.now()`` for every caller (services,
    selectors, ``auto_now`` fields); it starts at Wednesday 2 December 2026, 08:00 UTC."""

    class Clock:
        now = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)

        def at(self, instant: datetime) -> None:
            self.now = instant

    pinned = Clock()
    monkeypatch.setattr("django.utils.timezone.now", lambda: pinned.now)
    return pinned
