"""The clock is read at the edges (views, commands, tasks) and passed into domain code."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from django.utils import timezone

WARSAW = ZoneInfo("Europe/Warsaw")


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    def now(self) -> datetime:
        return timezone.now()

    def today(self) -> date:
        return timezone.now().astimezone(WARSAW).date()


class FixedClock:
    """A clock that says what it is told: for tests and replays."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def today(self) -> date:
        return self._at.astimezone(WARSAW).date()


system_clock = SystemClock()
