from datetime import date
from decimal import Decimal

from kilowatt.billing.estimation import KnownRead, estimate_value, profile_weight, yearly_consumption

SHARES = tuple(
    Decimal(s)
    for s in [
        "0.100",
        "0.088",
        "0.088",
        "0.078",
        "0.074",
        "0.069",
        "0.071",
        "0.073",
        "0.075",
        "0.085",
        "0.094",
        "0.105",
    ]
)


def test_profile_weight_of_whole_months_is_their_shares():
    assert profile_weight(start=date(2026, 1, 1), end=date(2026, 3, 1), monthly_shares=SHARES) == Decimal(
        "0.188"
    )
    assert profile_weight(start=date(2026, 1, 1), end=date(2027, 1, 1), monthly_shares=SHARES) == Decimal(
        "1.000"
    )


def test_between_two_reads_the_value_follows_the_profile():
    value = estimate_value(
        target=date(2026, 2, 1),
        before=KnownRead(date(2026, 1, 1), Decimal(1000)),
        after=KnownRead(date(2026, 3, 1), Decimal(1188)),
        yearly=Decimal(0),
        zone_share=Decimal(1),
        monthly_shares=SHARES,
    )
    assert value == Decimal("1100.000")  # January holds 0.100 of the 0.188 of the two months


def test_history_of_most_of_a_year_beats_the_annual_estimate():
    reads = [KnownRead(date(2025, 1, 1), Decimal(0)), KnownRead(date(2026, 1, 1), Decimal(4000))]
    assert yearly_consumption(reads=reads, annual_estimate=Decimal(2000), monthly_shares=SHARES) == (
        Decimal(4000),
        "history",
    )
    assert yearly_consumption(reads=reads[:1], annual_estimate=Decimal(2000), monthly_shares=SHARES) == (
        Decimal(2000),
        "annual",
    )
