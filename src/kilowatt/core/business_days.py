"""Business days by country: weekends and public holidays (the ``holidays`` package) are not."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year))


def is_business_day(day: date, *, country: str = "PL") -> bool:
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def next_business_day(day: date, *, country: str = "PL") -> date:
    """``day`` itself when it is a business day, otherwise the first business day after it."""
    while not is_business_day(day, country=country):
        day += timedelta(days=1)
    return day
