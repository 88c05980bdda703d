"""The interval rating kernel is exact: compared with Decimal arithmetic, rounded half up once."""

from decimal import ROUND_HALF_UP, Decimal, localcontext

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kilowatt.metering.interval_rating import rate_intervals, rate_intervals_many


def decimal_grosz(values_wh, prices_micro) -> int:
    """The reference: kWh × PLN/kWh summed in Decimal, rounded to grosz half up, as an integer."""
    with localcontext(prec=100):
        total = sum(
            (
                Decimal(v) / 1000 * (Decimal(p) / 1_000_000)
                for v, p in zip(values_wh, prices_micro, strict=True)
            ),
            Decimal(0),
        )
        return int(total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)


pairs = st.integers(min_value=0, max_value=2976).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(min_value=0, max_value=50_000_000), min_size=n, max_size=n),
        st.lists(st.integers(min_value=-5_000_000, max_value=60_000_000), min_size=n, max_size=n),
    )
)


@given(pairs)
def test_rating_matches_decimal_arithmetic(pair):
    values, prices = pair
    grosz = rate_intervals(
        values_wh=np.array(values, dtype=np.int64), prices_micro=np.array(prices, dtype=np.int64)
    )
    assert grosz == decimal_grosz(values, prices)


@given(
    st.lists(st.integers(min_value=0, max_value=2**62), min_size=1, max_size=20).flatmap(
        lambda v: st.tuples(
            st.just(v),
            st.lists(st.integers(min_value=-(2**62), max_value=2**62), min_size=len(v), max_size=len(v)),
        )
    )
)
def test_rating_beyond_int64_falls_back_to_exact_integers(pair):
    values, prices = pair
    expected = decimal_grosz(values, prices)
    values_array, prices_array = np.array(values, dtype=np.int64), np.array(prices, dtype=np.int64)
    assert rate_intervals(values_wh=values_array, prices_micro=prices_array) == expected
    if -(2**63) <= expected < 2**63:
        many = rate_intervals_many(values_wh=values_array[None, :], prices_micro=prices_array)
        assert many.tolist() == [expected]
    else:
        with pytest.raises(OverflowError):
            rate_intervals_many(values_wh=values_array[None, :], prices_micro=prices_array)


def test_half_a_grosz_rounds_away_from_zero():
    # 1 Wh × 5,000,000 µPLN/kWh = 0.005 PLN = half a grosz
    assert rate_intervals(values_wh=np.array([1]), prices_micro=np.array([5_000_000])) == 1
    assert rate_intervals(values_wh=np.array([1]), prices_micro=np.array([-5_000_000])) == -1
    assert rate_intervals(values_wh=np.array([1]), prices_micro=np.array([4_999_999])) == 0


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_many_rows_equal_rating_each_row(threads):
    rng = np.random.default_rng(7)
    values = rng.integers(0, 3_000, (257, 2976), dtype=np.int64)
    prices = rng.integers(-400_000, 2_500_000, 2976, dtype=np.int64)
    grosz = rate_intervals_many(values_wh=values, prices_micro=prices, threads=threads)
    assert grosz.tolist() == [rate_intervals(values_wh=row, prices_micro=prices) for row in values]
    assert grosz[:3].tolist() == [decimal_grosz(row.tolist(), prices.tolist()) for row in values[:3]]


def test_floats_are_refused():
    with pytest.raises(TypeError):
        rate_intervals(values_wh=np.array([1.0]), prices_micro=np.array([1]))
    with pytest.raises(ValueError):
        rate_intervals(values_wh=np.array([1, 2]), prices_micro=np.array([1]))
