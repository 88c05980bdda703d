from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kilowatt.core.money import energy_round, line_value, money_round, unit_price_round, vat_by_rate
from kilowatt.core.periods import InvalidPeriod, Period, month_period


def test_money_rounds_half_up_to_grosz():
    assert money_round(Decimal("0.005")) == Decimal("0.01")
    assert money_round(Decimal("2.675")) == Decimal("2.68")
    assert money_round(Decimal("-2.675")) == Decimal("-2.68")
    assert unit_price_round(Decimal("0.1234565")) == Decimal("0.123457")
    assert energy_round(Decimal("10.0005")) == Decimal("10.001")


def test_float_money_is_refused():
    with pytest.raises(TypeError):
        money_round(0.1)  # type: ignore[arg-type]


def test_vat_is_computed_per_rate_on_the_sum_of_net_values():
    lines = [(line_value(quantity=Decimal("1"), unit_price=Decimal("0.014")), Decimal("0.23"))] * 3
    # each line rounds to 0.01; VAT on the sum 0.03 is 0.01 (not 3 × 0.00)
    assert vat_by_rate(lines) == {Decimal("0.23"): (Decimal("0.03"), Decimal("0.01"))}


def test_vat_by_rate_keeps_rates_apart():
    result = vat_by_rate([(Decimal("100.00"), Decimal("0.23")), (Decimal("50.00"), Decimal("0.08"))])
    assert result[Decimal("0.23")] == (Decimal("100.00"), Decimal("23.00"))
    assert result[Decimal("0.08")] == (Decimal("50.00"), Decimal("4.00"))


def test_period_is_half_open():
    march = month_period(2026, 3)
    assert march.contains(date(2026, 3, 1))
    assert not march.contains(date(2026, 4, 1))
    assert march.days == 31
    assert not march.overlaps(month_period(2026, 4))
    with pytest.raises(InvalidPeriod):
        Period(date(2026, 3, 1), date(2026, 3, 1))


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)), st.integers(1, 800))
def test_months_split_covers_the_period_exactly(start, length):
    period = Period(start, date.fromordinal(start.toordinal() + length))
    pieces = list(period.months())
    assert pieces[0].start == period.start and pieces[-1].end == period.end
    assert sum(p.days for p in pieces) == period.days
    assert all(a.end == b.start for a, b in zip(pieces, pieces[1:], strict=False))


def test_open_ended_period_intersection():
    open_ended = Period(date(2026, 1, 1))
    assert open_ended.intersection(month_period(2026, 2)) == month_period(2026, 2)
    assert open_ended.contains(date(2099, 1, 1))
