"""Splitting a commission among its beneficiaries: the pieces sum exactly to the amount, none off by a
grosz."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kilowatt.commissions.rules import amount_split


@given(
    grosze=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.decimals(min_value="0.01", max_value="100", places=2), min_size=1, max_size=6),
)
def test_a_split_sums_exactly_and_no_piece_is_off_by_a_grosz(grosze, weights):
    amount = Decimal(grosze) / 100
    pieces = amount_split(amount=amount, weights=weights)
    assert sum(pieces) == amount
    total = sum(weights)
    for piece, weight in zip(pieces, weights, strict=True):
        assert abs(piece - amount * weight / total) < Decimal("0.01")


def test_the_grosze_left_go_to_the_largest_remainders_first_one_on_a_tie():
    assert amount_split(amount=Decimal("30.03"), weights=[Decimal(48), Decimal(32), Decimal(20)]) == [
        Decimal("14.41"),
        Decimal("9.61"),
        Decimal("6.01"),
    ]
    assert amount_split(amount=Decimal("0.02"), weights=[Decimal(1)] * 3) == [
        Decimal("0.01"),
        Decimal("0.01"),
        Decimal("0.00"),
    ]
    assert amount_split(amount=Decimal("-10.00"), weights=[Decimal(1)] * 3) == [
        Decimal("-3.34"),
        Decimal("-3.33"),
        Decimal("-3.33"),
    ]
