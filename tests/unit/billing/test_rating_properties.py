"""Properties of the rating engine over random periods, consumption and price changes."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kilowatt.catalog.rating import Deduction, Rate, RatingRequest, Terms, Usage, rate, settle
from kilowatt.core.money import money_round
from kilowatt.core.periods import Period

START = date(2025, 11, 1)

prices = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("50"), places=4)
energy = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=3)


@st.composite
def requests(draw):
    start = START + timedelta(days=draw(st.integers(0, 400)))
    end = start + timedelta(days=draw(st.integers(1, 400)))
    zones = draw(st.sampled_from([("all",), ("peak", "offpeak")]))
    cut = start + timedelta(days=draw(st.integers(0, (end - start).days)))
    vat_rate = draw(st.sampled_from([Decimal("0.23"), Decimal("0.08")]))

    def dated(ref, component, unit, zone=""):
        first, second = draw(prices), draw(prices)
        return [
            Rate(f"{ref}:1", component, first, unit, date(2020, 1, 1), cut, zone),
            Rate(f"{ref}:2", component, second, unit, cut, None, zone),
        ]

    sales = [r for z in zones for r in dated(f"energy-{z}", "energy", "kWh", z)] + dated(
        "fee", "handling_fee", "month"
    )
    dist = (
        dated("fixed", "fixed_network", "month")
        + [r for z in zones for r in dated(f"var-{z}", "variable_network", "kWh", z)]
        + dated("sub", "distribution_subscription", "month")
    )
    national = (
        dated("q", "quality", "kWh")
        + dated("oze", "oze", "kWh")
        + dated("cog", "cogeneration", "kWh")
        + dated("cap", "capacity_household", "month", "band")
    )
    usages = tuple(Usage(z, start, end, draw(energy), (i,)) for i, z in enumerate(zones))
    return RatingRequest(
        period=Period(start, end),
        terms=Terms(
            commodity="electricity",
            comprehensive=True,
            household=True,
            vat_rate=vat_rate,
            capacity_band="band",
        ),
        usages=usages,
        sales_rates=tuple(sales),
        distribution_rates=tuple(dist),
        national_rates=tuple(national),
    )


@settings(max_examples=200, deadline=None)
@given(requests())
def test_lines_sum_to_totals_and_vat_is_per_rate_on_the_sum(request):
    rating = rate(request)
    assert rating.rated
    assert sum(line.net for line in rating.lines) == rating.net
    per_rate = defaultdict(Decimal)
    for line in rating.lines:
        per_rate[line.vat_rate] += line.net
    assert {r: (n, money_round(n * r)) for r, n in per_rate.items()} == {
        r: v for r, v in rating.vat.items() if v[0] or r in per_rate
    }
    assert rating.gross == rating.net + rating.vat_total
    for line in rating.lines:
        assert line.net == money_round(line.quantity * line.unit_price)


@settings(max_examples=200, deadline=None)
@given(requests())
def test_energy_is_split_exactly_and_priced_by_the_rate_of_its_days(request):
    rating = rate(request)
    for usage in request.usages:
        energy_lines = [
            line for line in rating.lines if line.component == "energy" and line.zone == usage.zone
        ]
        assert sum(line.quantity for line in energy_lines) == usage.kwh
        for line in energy_lines:
            matching = [r for r in request.sales_rates if r.ref == line.rate_ref]
            assert matching and matching[0].valid_on(line.period_start)
            assert matching[0].valid_to is None or line.period_end <= matching[0].valid_to


@settings(max_examples=100, deadline=None)
@given(requests())
def test_monthly_charges_count_whole_months_as_one(request):
    rating = rate(request)
    fee_months = sum(line.quantity for line in rating.lines if line.component == "handling_fee")
    period = request.period
    whole_months = 0
    cursor = period.start
    while cursor < period.end:
        nxt = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
        if cursor.day == 1 and nxt <= period.end:
            whole_months += 1
        cursor = nxt
    assert fee_months >= whole_months
    assert abs(fee_months - Decimal(period.days) / Decimal("30.44")) < 2


@settings(max_examples=200, deadline=None)
@given(
    requests(),
    st.lists(st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=2), max_size=11),
)
def test_a_settlement_after_forecasts_nets_to_the_real_bill(request, forecast_nets):
    real = rate(request)
    vat_rate = request.terms.vat_rate
    deductions = [
        Deduction(f"invoice:F{i}", vat_rate, net, money_round(net * vat_rate))
        for i, net in enumerate(forecast_nets)
    ]
    settlement = settle(real, deductions, period=request.period)
    forecast_gross = sum((d.net + d.vat for d in deductions), Decimal(0))
    assert forecast_gross + settlement.gross == real.gross
    assert sum(line.net for line in settlement.lines) == settlement.net
    for rate_, (net, vat) in settlement.vat.items():
        taken = [d for d in deductions if d.vat_rate == rate_]
        assert net + sum(d.net for d in taken) == real.vat[rate_][0]
        assert vat + sum(d.vat for d in taken) == real.vat[rate_][1]
