"""Half-open date periods ``[start, end)``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta


class InvalidPeriod(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    """Days from ``start`` (included) to ``end`` (excluded); ``end=None`` means open-ended."""

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise InvalidPeriod(f"period end {self.end} must be after its start {self.start}")

    @property
    def days(self) -> int:
        if self.end is None:
            raise InvalidPeriod("an open-ended period has no length")
        return (self.end - self.start).days

    def contains(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def overlaps(self, other: Period) -> bool:
        return (other.end is None or self.start < other.end) and (self.end is None or other.start < self.end)

    def intersection(self, other: Period) -> Period | None:
        start = max(self.start, other.start)
        ends = [e for e in (self.end, other.end) if e is not None]
        end = min(ends) if ends else None
        if end is not None and end <= start:
            return None
        return Period(start, end)

    def months(self) -> Iterator[Period]:
        """Split into calendar-month pieces (the first and last may be partial)."""
        if self.end is None:
            raise InvalidPeriod("an open-ended period cannot be split into months")
        cursor = self.start
        while cursor < self.end:
            next_month = month_start(cursor, offset=1)
            yield Period(cursor, min(next_month, self.end))
            cursor = next_month

    def __str__(self) -> str:
        last = (self.end - timedelta(days=1)).isoformat() if self.end else "…"
        return f"{self.start.isoformat()} – {last}"


def month_start(day: date, *, offset: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


def month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    return Period(start, month_start(start, offset=1))
