"""The rating engine: a pure function from contract terms, dated rates and consumption to invoice lines.

Nothing here reads the database or the clock. Every line says which rule produced it, which rate row
priced it and which reads measured it, so a bill can be explained line by line.

How a period is rated:

1. The billing period is cut into sub-periods at every month start and every date a rate starts or
   ends, so each sub-period has one price per component.
2. Energy measured between two reads is spread over the sub-periods it covers in proportion to days
   (DOMAIN.md: without interval data a price change splits consumption by days), to the watt-hour,
   with the remainder kept so the parts add up exactly to the measured energy.
3. Monthly charges count the months of each sub-period (a part of a month counts its share of days).
4. Pieces priced by the same rate row are merged into one line whose value is rounded once.
5. VAT is computed per rate on the sum of the net values of that rate.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from kilowatt.core.money import ZERO, energy_round, line_value, vat_by_rate
from kilowatt.core.periods import Period, month_start

MONTH_QUANTUM = Decimal("0.0001")
WH = Decimal("0.001")

# Components, in the order their lines appear on an invoice.
SALES_COMPONENTS = ["energy", "fuel", "handling_fee", "subscription", "excise"]
DISTRIBUTION_COMPONENTS = [
    "fixed_network",
    "variable_network",
    "quality",
    "oze",
    "cogeneration",
    "capacity_household",
    "capacity_other",
    "distribution_subscription",
]
COMPONENT_ORDER = {c: i for i, c in enumerate(SALES_COMPONENTS + DISTRIBUTION_COMPONENTS)}


@dataclass(frozen=True)
class Rate:
    """A price row valid over ``[valid_from, valid_to)``; ``ref`` names the row it came from."""

    ref: str
    component: str
    price: Decimal
    unit: str
    valid_from: date
    valid_to: date | None = None
    zone: str = ""

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


@dataclass(frozen=True)
class Usage:
    """Energy taken on one register between two reads, over ``[start, end)``."""

    zone: str
    start: date
    end: date
    kwh: Decimal
    read_ids: tuple[int, ...] = ()
    estimated: bool = False


@dataclass(frozen=True)
class Terms:
    """What the contract and the supply point say about pricing."""

    commodity: str
    comprehensive: bool
    household: bool
    vat_rate: Decimal
    excise_included: bool = True
    capacity_kw: Decimal | None = None
    capacity_band: str = ""
    capacity_hours_share: Decimal = ZERO


@dataclass(frozen=True)
class RatingRequest:
    period: Period
    terms: Terms
    usages: tuple[Usage, ...]
    sales_rates: tuple[Rate, ...]
    distribution_rates: tuple[Rate, ...] = ()
    national_rates: tuple[Rate, ...] = ()


@dataclass(frozen=True)
class Problem:
    code: str
    component: str
    zone: str
    period: Period


@dataclass(frozen=True)
class Line:
    group: str
    component: str
    zone: str
    period_start: date
    period_end: date
    quantity: Decimal
    unit: str
    unit_price: Decimal
    net: Decimal
    vat_rate: Decimal
    rate_ref: str
    rule: str
    read_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Rating:
    lines: tuple[Line, ...]
    problems: tuple[Problem, ...]
    vat: dict[Decimal, tuple[Decimal, Decimal]]
    net: Decimal
    vat_total: Decimal
    gross: Decimal
    kwh: Decimal

    @property
    def rated(self) -> bool:
        return not self.problems


@dataclass
class _Piece:
    group: str
    component: str
    zone: str
    start: date
    end: date
    quantity: Decimal
    unit: str
    rate: Rate
    rule: str
    read_ids: set[int] = field(default_factory=set)


def rate(request: RatingRequest) -> Rating:
    """Rate one billing period. Missing prices are returned as problems, never guessed."""
    period = request.period
    sub_periods = _sub_periods(period, request)
    energy = _energy_by_sub_period(request.usages, sub_periods)
    pieces: list[_Piece] = []
    problems: list[Problem] = []
    for sub in sub_periods:
        _rate_sub_period(request, sub, energy.get(sub, {}), pieces, problems)
    lines = _merge(pieces, request.terms.vat_rate)
    vat = vat_by_rate((line.net, line.vat_rate) for line in lines)
    net = sum((n for n, _ in vat.values()), ZERO)
    vat_total = sum((v for _, v in vat.values()), ZERO)
    kwh = sum((u.kwh for u in request.usages), Decimal("0.000"))
    return Rating(tuple(lines), tuple(problems), vat, net, vat_total, net + vat_total, kwh)


@dataclass(frozen=True)
class Deduction:
    """An earlier invoice of the period (a forecast) whose net and VAT a settlement takes off."""

    ref: str
    vat_rate: Decimal
    net: Decimal
    vat: Decimal


def settle(real: Rating, deductions: list[Deduction], *, period: Period) -> Rating:
    """The settlement of a period: the real bill less what forecast invoices already charged.

    VAT per rate is the real VAT less the forecasts' VAT (amounts, not recomputed), so the forecasts and
    the settlement add up exactly to the real bill, to the grosz.
    """
    assert period.end is not None
    lines = list(real.lines) + [
        Line(
            group="other",
            component="forecast_deduction",
            zone="",
            period_start=period.start,
            period_end=period.end,
            quantity=Decimal(1),
            unit="invoice",
            unit_price=-d.net,
            net=-d.net,
            vat_rate=d.vat_rate,
            rate_ref=d.ref,
            rule="forecast_deduction",
        )
        for d in deductions
    ]
    vat = dict(real.vat)
    for d in deductions:
        net, tax = vat.get(d.vat_rate, (ZERO, ZERO))
        vat[d.vat_rate] = (net - d.net, tax - d.vat)
    net = sum((n for n, _ in vat.values()), ZERO)
    vat_total = sum((v for _, v in vat.values()), ZERO)
    return Rating(tuple(lines), real.problems, vat, net, vat_total, net + vat_total, real.kwh)


def _sub_periods(period: Period, request: RatingRequest) -> list[Period]:
    assert period.end is not None
    cuts = {period.start, period.end}
    cursor = month_start(period.start, offset=1)
    while cursor < period.end:
        cuts.add(cursor)
        cursor = month_start(cursor, offset=1)
    for rate_row in (*request.sales_rates, *request.distribution_rates, *request.national_rates):
        for day in (rate_row.valid_from, rate_row.valid_to):
            if day is not None and period.start < day < period.end:
                cuts.add(day)
    ordered = sorted(cuts)
    return [Period(a, b) for a, b in zip(ordered, ordered[1:], strict=False)]


def _energy_by_sub_period(
    usages: tuple[Usage, ...], sub_periods: list[Period]
) -> dict[Period, dict[str, tuple[Decimal, set[int]]]]:
    """Spread each usage over the sub-periods it covers, in proportion to days, exactly to the Wh."""
    result: dict[Period, dict[str, tuple[Decimal, set[int]]]] = defaultdict(dict)
    for usage in usages:
        usage_period = Period(usage.start, usage.end)
        overlaps = [(sub, sub.intersection(usage_period)) for sub in sub_periods]
        parts = [(sub, part.days) for sub, part in overlaps if part is not None]
        total_days = sum(days for _, days in parts)
        remaining = usage.kwh
        for index, (sub, days) in enumerate(parts):
            if index == len(parts) - 1:
                share = remaining
            else:
                share = (usage.kwh * days / total_days).quantize(WH, rounding=ROUND_DOWN)
                remaining -= share
            kwh, reads = result[sub].get(usage.zone, (Decimal("0.000"), set()))
            result[sub][usage.zone] = (kwh + share, reads | set(usage.read_ids))
    return result


def _months(sub: Period) -> Decimal:
    """The share of its month a sub-period covers, measured by cumulative days from the month's start so
    that the parts of one month always add up to exactly one."""
    days_in_month = calendar.monthrange(sub.start.year, sub.start.month)[1]
    before = sub.start.day - 1
    return _month_share(before + sub.days, days_in_month) - _month_share(before, days_in_month)


def _month_share(days: int, days_in_month: int) -> Decimal:
    return (Decimal(days) / days_in_month).quantize(MONTH_QUANTUM, rounding=ROUND_HALF_UP)


def _find(rates: tuple[Rate, ...], component: str, day: date, zone: str = "") -> Rate | None:
    for rate_row in rates:
        if rate_row.component == component and rate_row.zone == zone and rate_row.valid_on(day):
            return rate_row
    return None


def _rate_sub_period(
    request: RatingRequest,
    sub: Period,
    energy: dict[str, tuple[Decimal, set[int]]],
    pieces: list[_Piece],
    problems: list[Problem],
) -> None:
    terms = request.terms
    day = sub.start
    months = _months(sub)
    total_kwh = sum((kwh for kwh, _ in energy.values()), Decimal("0.000"))
    all_reads: set[int] = set().union(*(reads for _, reads in energy.values())) if energy else set()

    def add(
        group: str,
        component: str,
        rates: tuple[Rate, ...],
        quantity: Decimal,
        unit: str,
        rule: str,
        zone: str = "",
        rate_zone: str = "",
        reads: set[int] | None = None,
        required: bool = True,
    ) -> None:
        rate_row = _find(rates, component, day, rate_zone)
        if rate_row is None:
            if required:
                problems.append(Problem(f"no_rate_{group}", component, zone or rate_zone, sub))
            return
        pieces.append(
            _Piece(
                group,
                component,
                zone or rate_row.zone,
                sub.start,
                sub.end,
                quantity,
                unit,
                rate_row,
                rule,
                set(reads or ()),
            )
        )

    sales, dist, national = request.sales_rates, request.distribution_rates, request.national_rates
    if terms.commodity == "gas":
        for zone, (kwh, reads) in sorted(energy.items()):
            add("sales", "fuel", sales, kwh, "kWh", "fuel_per_kwh", zone, "all", reads)
        add("sales", "subscription", sales, months, "month", "per_month")
    else:
        for zone, (kwh, reads) in sorted(energy.items()):
            add("sales", "energy", sales, kwh, "kWh", "energy_per_zone", zone, zone, reads)
        add("sales", "handling_fee", sales, months, "month", "per_month", required=False)
        if not terms.excise_included:
            add("sales", "excise", national, total_kwh, "kWh", "excise_per_kwh", reads=all_reads)
    if not terms.comprehensive:
        return
    fixed = _find(dist, "fixed_network", day)
    if fixed is not None and fixed.unit == "kW":
        if terms.capacity_kw is None:
            problems.append(Problem("no_contracted_capacity", "fixed_network", "", sub))
        else:
            add(
                "distribution",
                "fixed_network",
                dist,
                (terms.capacity_kw * months).quantize(MONTH_QUANTUM, rounding=ROUND_HALF_UP),
                "kW·month",
                "per_kw_month",
            )
    else:
        add("distribution", "fixed_network", dist, months, "month", "per_month")
    for zone, (kwh, reads) in sorted(energy.items()):
        add("distribution", "variable_network", dist, kwh, "kWh", "variable_per_zone", zone, zone, reads)
    if terms.commodity == "gas":
        return
    for component in ("quality", "oze", "cogeneration"):
        add("distribution", component, national, total_kwh, "kWh", "national_per_kwh", reads=all_reads)
    if terms.household:
        band = terms.capacity_band
        if band:
            add(
                "distribution",
                "capacity_household",
                national,
                months,
                "month",
                "capacity_by_band",
                rate_zone=band,
            )
        else:
            problems.append(Problem("no_consumption_band", "capacity_household", "", sub))
    else:
        capacity_kwh = energy_round(total_kwh * terms.capacity_hours_share)
        add(
            "distribution",
            "capacity_other",
            national,
            capacity_kwh,
            "kWh",
            "capacity_working_hours",
            reads=all_reads,
        )
    add("distribution", "distribution_subscription", dist, months, "month", "per_month")


def _merge(pieces: list[_Piece], vat_rate: Decimal) -> list[Line]:
    merged: dict[tuple[str, str, str, str], _Piece] = {}
    for piece in pieces:
        key = (piece.group, piece.component, piece.zone, piece.rate.ref)
        known = merged.get(key)
        if known is None:
            merged[key] = _Piece(
                piece.group,
                piece.component,
                piece.zone,
                piece.start,
                piece.end,
                piece.quantity,
                piece.unit,
                piece.rate,
                piece.rule,
                set(piece.read_ids),
            )
        else:
            known.quantity += piece.quantity
            known.start, known.end = min(known.start, piece.start), max(known.end, piece.end)
            known.read_ids |= piece.read_ids
    ordered = sorted(
        merged.values(),
        key=lambda p: (p.group != "sales", COMPONENT_ORDER.get(p.component, 99), p.zone, p.start),
    )
    return [
        Line(
            group=p.group,
            component=p.component,
            zone=p.zone,
            period_start=p.start,
            period_end=p.end,
            quantity=p.quantity,
            unit=p.unit,
            unit_price=p.rate.price,
            net=line_value(quantity=p.quantity, unit_price=p.rate.price),
            vat_rate=vat_rate,
            rate_ref=p.rate.ref,
            rule=p.rule,
            read_ids=tuple(sorted(p.read_ids)),
        )
        for p in ordered
        if p.quantity != 0
    ]
