"""Validation rules of register reads: pure functions of the new read and what came before it.

Each rule returns a message when the read breaks it, or None. Which rules run, with which severity and
parameters, is data (``ValidationRule`` per company); ``DEFAULT_RULES`` is what a new company starts with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class ReadContext:
    read_on: date
    value: Decimal
    previous_on: date | None
    previous_value: Decimal | None
    register_digits: int
    meter_installed: bool
    annual_estimate_kwh: Decimal
    register_zone: str = ""
    tariff_zones: tuple[str, ...] = ()
    history_daily: Decimal | None = None  # mean daily consumption of the register over the past year


@dataclass(frozen=True)
class Consumption:
    amount: Decimal | None
    rolled_over: bool


def dial_difference(*, previous: Decimal, current: Decimal, digits: int) -> tuple[Decimal, bool]:
    """``current - previous``; a lower value on a nearly full dial is a rollover, counted over the top."""
    difference = current - previous
    if difference >= 0:
        return difference, False
    dial = Decimal(10) ** digits
    if previous >= dial * Decimal("0.9") and current <= dial * Decimal("0.1"):
        return dial - previous + current, True
    return difference, False


def consumption_of(context: ReadContext) -> Consumption:
    """Consumption since the previous read."""
    if context.previous_value is None:
        return Consumption(None, False)
    amount, rolled_over = dial_difference(
        previous=context.previous_value, current=context.value, digits=context.register_digits
    )
    return Consumption(amount, rolled_over)


def _negative(context: ReadContext, params: dict) -> str | None:
    consumption = consumption_of(context)
    if consumption.amount is not None and consumption.amount < 0:
        return _("The read is lower than the previous one (%(previous)s on %(day)s).") % {
            "previous": context.previous_value,
            "day": context.previous_on,
        }
    return None


def _rollover(context: ReadContext, params: dict) -> str | None:
    if consumption_of(context).rolled_over:
        return _("The meter dial went past its maximum since the previous read.")
    return None


def _before_last(context: ReadContext, params: dict) -> str | None:
    if context.previous_on is not None and context.read_on < context.previous_on:
        return _("The read is dated before the last read (%(day)s).") % {"day": context.previous_on}
    return None


def _not_installed(context: ReadContext, params: dict) -> str | None:
    return (
        None
        if context.meter_installed
        else _("The meter was not installed at this supply point on that day.")
    )


def _implausible(context: ReadContext, params: dict) -> str | None:
    consumption = consumption_of(context)
    if consumption.amount is None or context.previous_on is None or context.annual_estimate_kwh <= 0:
        return None
    days = max((context.read_on - context.previous_on).days, 1)
    expected = context.annual_estimate_kwh * days / 365
    factor = Decimal(str(params.get("factor", "3")))
    if consumption.amount > expected * factor:
        return _("Consumption %(amount)s kWh is more than %(factor)s× the expected %(expected)s kWh.") % {
            "amount": consumption.amount,
            "factor": factor,
            "expected": round(expected, 1),
        }
    return None


def _implausible_history(context: ReadContext, params: dict) -> str | None:
    consumption = consumption_of(context)
    if consumption.amount is None or context.previous_on is None or not context.history_daily:
        return None
    days = max((context.read_on - context.previous_on).days, 1)
    expected = context.history_daily * days
    factor = Decimal(str(params.get("factor", "3")))
    if consumption.amount > expected * factor:
        return _(
            "Consumption %(amount)s is more than %(factor)s× the %(expected)s this meter's last year "
            "suggests."
        ) % {"amount": consumption.amount, "factor": factor, "expected": round(expected, 1)}
    return None


def _missing_zone(context: ReadContext, params: dict) -> str | None:
    if context.tariff_zones and context.register_zone not in context.tariff_zones:
        return _("The register measures zone %(zone)s, which tariff zones %(zones)s do not have.") % {
            "zone": context.register_zone,
            "zones": ", ".join(context.tariff_zones),
        }
    return None


RULES: dict[str, Callable[[ReadContext, dict], str | None]] = {
    "negative_consumption": _negative,
    "meter_rollover": _rollover,
    "read_before_last": _before_last,
    "meter_not_installed": _not_installed,
    "implausible_consumption": _implausible,
    "implausible_against_history": _implausible_history,
    "missing_zone": _missing_zone,
}

DEFAULT_RULES = [
    ("negative_consumption", "error", {}),
    ("meter_rollover", "warning", {}),
    ("read_before_last", "error", {}),
    ("meter_not_installed", "error", {}),
    ("implausible_consumption", "warning", {"factor": "3"}),
    ("implausible_against_history", "warning", {"factor": "3"}),
    ("missing_zone", "error", {}),
]
