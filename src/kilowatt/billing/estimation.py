"""Estimating a register's value on a day with no read: pure functions of reads and a load profile.

Between two reads the value is interpolated along the standard load profile (more is used in January
than in June); after the last read it is extrapolated from the yearly consumption: measured history
when the reads span most of a year, otherwise the supply point's annual estimate, spread by the
profile's monthly shares and the zone's share.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

ENERGY = Decimal("0.001")
FLAT_PROFILE = tuple(Decimal(1) / 12 for _ in range(12))
HISTORY_MIN_DAYS = 300


@dataclass(frozen=True)
class KnownRead:
    day: date
    value: Decimal


def profile_weight(*, start: date, end: date, monthly_shares: tuple[Decimal, ...]) -> Decimal:
    """The share of a year's consumption that falls in ``[start, end)`` under the profile."""
    weight = Decimal(0)
    cursor = start
    while cursor < end:
        days_in_month = calendar.monthrange(cursor.year, cursor.month)[1]
        next_month = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
        stop = min(next_month, end)
        weight += monthly_shares[cursor.month - 1] * (stop - cursor).days / days_in_month
        cursor = stop
    return weight


def yearly_consumption(
    *, reads: list[KnownRead], annual_estimate: Decimal, monthly_shares: tuple[Decimal, ...]
) -> tuple[Decimal, str]:
    """The yearly consumption to extrapolate with, and where it came from ("history" or "annual")."""
    if len(reads) >= 2:
        first, last = reads[0], reads[-1]
        if (last.day - first.day).days >= HISTORY_MIN_DAYS and last.value >= first.value:
            weight = profile_weight(start=first.day, end=last.day, monthly_shares=monthly_shares)
            if weight > 0:
                return (last.value - first.value) / weight, "history"
    return annual_estimate, "annual"


def estimate_value(
    *,
    target: date,
    before: KnownRead,
    after: KnownRead | None,
    yearly: Decimal,
    zone_share: Decimal,
    monthly_shares: tuple[Decimal, ...] = FLAT_PROFILE,
) -> Decimal:
    """The register's value on ``target``, from the read before it and, if there is one, the read after."""
    if after is not None and after.day > before.day and after.value >= before.value:
        whole = profile_weight(start=before.day, end=after.day, monthly_shares=monthly_shares)
        part = profile_weight(start=before.day, end=target, monthly_shares=monthly_shares)
        if whole > 0:
            value = before.value + (after.value - before.value) * part / whole
            return value.quantize(ENERGY, rounding=ROUND_HALF_UP)
    expected = (
        yearly * zone_share * profile_weight(start=before.day, end=target, monthly_shares=monthly_shares)
    )
    return (before.value + expected).quantize(ENERGY, rounding=ROUND_HALF_UP)
