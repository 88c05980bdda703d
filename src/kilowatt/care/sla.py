"""Business time for SLAs: only a team's working hours on business days (Polish holidays excluded) count.

Times are aware; the working day is read on the Warsaw wall clock, so DST days need no special case.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from kilowatt.core.business_days import is_business_day

WARSAW = ZoneInfo("Europe/Warsaw")
_MAX_DAYS = 3660  # a deadline further than ten years away is a configuration mistake, not a loop to run


def _window(day: date, day_starts: time, day_ends: time) -> tuple[datetime, datetime]:
    return datetime.combine(day, day_starts, tzinfo=WARSAW), datetime.combine(day, day_ends, tzinfo=WARSAW)


def business_deadline(
    *, start: datetime, seconds: int, day_starts: time, day_ends: time, country: str = "PL"
) -> datetime:
    """The moment ``seconds`` of business time after ``start`` have passed."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    left = timedelta(seconds=seconds)
    day = start.astimezone(WARSAW).date()
    for _ in range(_MAX_DAYS):
        if is_business_day(day, country=country):
            opens, closes = _window(day, day_starts, day_ends)
            begin = max(opens, start)
            if begin < closes:
                if begin + left <= closes:
                    return begin + left
                left -= closes - begin
        day += timedelta(days=1)
    raise ValueError("deadline out of range")


def business_seconds_between(
    *, start: datetime, end: datetime, day_starts: time, day_ends: time, country: str = "PL"
) -> int:
    """Business seconds in ``[start, end)``; zero when ``end`` is not after ``start``."""
    if end <= start:
        return 0
    total = timedelta()
    day, last = start.astimezone(WARSAW).date(), end.astimezone(WARSAW).date()
    while day <= last:
        if is_business_day(day, country=country):
            opens, closes = _window(day, day_starts, day_ends)
            begin, finish = max(opens, start), min(closes, end)
            if begin < finish:
                total += finish - begin
        day += timedelta(days=1)
    return int(total.total_seconds())
