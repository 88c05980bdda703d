"""Money, unit prices and energy as Decimal, rounded the house way (ROUND_HALF_UP)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

GROSZ = Decimal("0.01")
UNIT_PRICE_QUANTUM = Decimal("0.000001")
ENERGY_QUANTUM = Decimal("0.001")
ZERO = Decimal("0.00")
# Less than a grosz: sums of amounts on SQLite come back as floats, so "still open" means "open by at
# least half a grosz" (exact on PostgreSQL, where the difference is whole grosze anyway).
HALF_GROSZ = Decimal("0.005")


def _as_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money must never be a float; pass a Decimal, an int or a string")
    return value if isinstance(value, Decimal) else Decimal(value)


def money_round(value: Decimal | int | str) -> Decimal:
    """Round to grosz (2 decimals), half up."""
    return _as_decimal(value).quantize(GROSZ, rounding=ROUND_HALF_UP)


def unit_price_round(value: Decimal | int | str) -> Decimal:
    """Round a unit price to 6 decimals, half up."""
    return _as_decimal(value).quantize(UNIT_PRICE_QUANTUM, rounding=ROUND_HALF_UP)


def energy_round(value: Decimal | int | str) -> Decimal:
    """Round energy in kWh to 3 decimals, half up."""
    return _as_decimal(value).quantize(ENERGY_QUANTUM, rounding=ROUND_HALF_UP)


def line_value(*, quantity: Decimal, unit_price: Decimal) -> Decimal:
    """The net value of one line: quantity × unit price, rounded once at the line."""
    return money_round(_as_decimal(quantity) * _as_decimal(unit_price))


def vat_by_rate(lines: Iterable[tuple[Decimal, Decimal]]) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """VAT per rate on the sum of the net values of that rate.

    ``lines`` are ``(net_value, vat_rate)`` pairs with the rate as a fraction (``Decimal("0.23")``).
    Returns ``{rate: (net_total, vat_total)}``.
    """
    net_per_rate: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for net, rate in lines:
        net_per_rate[_as_decimal(rate)] += money_round(net)
    return {rate: (net, money_round(net * rate)) for rate, net in net_per_rate.items()}


def to_minor_units(value: Decimal) -> int:
    """Grosz as an exact integer, for vectorised engines that convert back once."""
    return int(money_round(value) * 100)


def from_minor_units(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(GROSZ)


def is_money(value: Decimal) -> bool:
    """A finite amount in whole grosze (no NaN, no infinity, no third decimal place)."""
    return value.is_finite() and value == value.quantize(Decimal("0.01"))
