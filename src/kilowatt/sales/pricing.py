"""What a year of supply would cost a customer under an offer, under what they pay now and under
competitors' prices, priced by the same rating engine that prices invoices.

The year compared is ``[start, start + 1 year)``. Each supply point's consumption in that year comes
from, in order of preference: its interval data over the last twelve months (scaled up when a few days
are missing), a zone split the salesperson typed in from the customer's bill, or its annual estimate
spread over zones by the standard load profile.

A price list that is not valid over the whole year leaves a gap the engine reports as a missing
rate: for the offer itself that is refused; a competitor's or the current prices with a gap are left
out of the comparison, saying why, and no saving is shown against them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Q
from django.utils.translation import gettext as _

from kilowatt.catalog.models import (
    CompetitorPriceList,
    DistributionTariff,
    LoadProfile,
    NationalRate,
    PriceList,
)
from kilowatt.catalog.queries import time_zone_schedule_on, valid_on, zone_at
from kilowatt.catalog.rates import distribution_rates, national_rates, sales_rates
from kilowatt.catalog.rating import Rate, Rating, RatingRequest, Terms, Usage, rate
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.money import ZERO, energy_round
from kilowatt.core.periods import Period
from kilowatt.metering.intervals import interval_days_current, interval_series
from kilowatt.network.models import SupplyPoint

INTERVAL_COVERAGE = Decimal("0.9")  # at least this share of the year's days measured to use interval data
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


class OfferNotPriced(ValidationFailed):
    code = "offer_not_priced"


@dataclass(frozen=True)
class Consumption:
    """A supply point's expected consumption in the compared year, per zone, and where it came from."""

    kwh: dict[str, Decimal]
    basis: str  # "interval", "zones" or "annual"

    @property
    def total(self) -> Decimal:
        return sum(self.kwh.values(), Decimal("0.000"))


@dataclass
class Side:
    """One way of pricing the year: the offer, the current prices, or a competitor's."""

    key: str
    name: str
    net: Decimal = ZERO
    gross: Decimal = ZERO
    sales_gross: Decimal = ZERO
    missing: str = ""

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "name": self.name,
            "net": str(self.net),
            "gross": str(self.gross),
            "sales_gross": str(self.sales_gross),
            "missing": self.missing,
        }


@dataclass
class Comparison:
    year: Period
    points: list[dict] = field(default_factory=list)
    offer: Side | None = None
    current: Side | None = None
    competitors: list[Side] = field(default_factory=list)
    distribution_included: bool = True

    @property
    def saving(self) -> Decimal | None:
        if self.offer is None or self.current is None or self.current.missing:
            return None
        return self.current.gross - self.offer.gross

    @property
    def saving_percent(self) -> Decimal | None:
        saving = self.saving
        if saving is None or self.current is None or self.current.gross <= 0:
            return None
        return (saving * HUNDRED / self.current.gross).quantize(CENT, rounding=ROUND_HALF_UP)

    def as_json(self) -> dict:
        assert self.year.end is not None
        return {
            "year": [self.year.start.isoformat(), self.year.end.isoformat()],
            "distribution_included": self.distribution_included,
            "points": self.points,
            "offer": self.offer.as_json() if self.offer else None,
            "current": self.current.as_json() if self.current else None,
            "competitors": [
                {**side.as_json(), "saving": str(side.gross - self.offer.gross) if self.offer else None}
                for side in self.competitors
            ],
        }


def comparison_year(*, start: date) -> Period:
    return Period(start, start + relativedelta(years=1))


def _profile(point: SupplyPoint, on_date: date) -> LoadProfile | None:
    return (
        LoadProfile.objects.filter(valid_on(on_date), tariff_group_id=point.tariff_group_id)
        .order_by("-valid_from")
        .first()
    )


def _interval_consumption(point: SupplyPoint, *, on_date: date) -> Consumption | None:
    past = Period(on_date - timedelta(days=365), on_date)
    series = interval_series(company=point.company, supply_point=point, period=past)
    if not len(series.values_wh):
        return None
    days = interval_days_current(company=point.company, supply_point=point, period=past).count()
    if Decimal(days) < INTERVAL_COVERAGE * 365:
        return None
    zones = point.tariff_group.zones or ["all"]
    schedule = (
        time_zone_schedule_on(dso_id=point.dso_id, tariff_group_id=point.tariff_group_id, on_date=on_date)
        if len(zones) > 1
        else None
    )
    wh: dict[str, int] = dict.fromkeys(zones, 0)
    zone_by_hour: dict[datetime, str] = {}
    for start, value in zip(series.starts_utc.tolist(), series.values_wh.tolist(), strict=True):
        if schedule is None:
            wh[zones[0]] += value
            continue
        hour = start.replace(minute=0, second=0)
        zone = zone_by_hour.get(hour)
        if zone is None:
            zone = zone_by_hour[hour] = zone_at(schedule=schedule, moment=_utc(hour)) or zones[0]
        wh[zone] = wh.get(zone, 0) + value
    scale = Decimal(365) / days
    return Consumption({z: energy_round(Decimal(v) / 1000 * scale) for z, v in wh.items()}, "interval")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def consumption_expected(
    *, point: SupplyPoint, on_date: date, zone_split: dict[str, Decimal] | None = None
) -> Consumption:
    """The point's yearly consumption per zone (see the module's note for the order of sources)."""
    measured = _interval_consumption(point, on_date=on_date)
    if measured is not None:
        return measured
    zones = point.tariff_group.zones or ["all"]
    if zone_split:
        return Consumption({z: energy_round(Decimal(zone_split.get(z, 0))) for z in zones}, "zones")
    profile = _profile(point, on_date)
    shares = {z: Decimal(v) for z, v in (profile.zone_shares if profile else {}).items()}
    annual = point.annual_consumption_kwh
    kwh = {z: energy_round(annual * shares.get(z, Decimal(1) / len(zones))) for z in zones}
    # The zone parts add up to the annual estimate exactly: the rounding rest goes to the last zone.
    kwh[zones[-1]] += annual - sum(kwh.values(), Decimal("0.000"))
    return Consumption(kwh, "annual")


@dataclass
class _PointRates:
    point: SupplyPoint
    consumption: Consumption
    terms: Terms
    distribution: tuple[Rate, ...]
    national: tuple[Rate, ...]


def _point_rates(
    point: SupplyPoint, year: Period, consumption: Consumption, *, vat_rate: Decimal, cycle_months: int
) -> _PointRates:
    assert year.end is not None
    tariffs = DistributionTariff.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=year.start),
        valid_from__lt=year.end,
        dso_id=point.dso_id,
        tariff_group_id=point.tariff_group_id,
    ).prefetch_related("rates")
    nationals = NationalRate.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=year.start), valid_from__lt=year.end
    )
    profile = _profile(point, year.start)
    terms = Terms(
        commodity=point.commodity,
        comprehensive=True,
        household=point.tariff_group.is_household,
        vat_rate=vat_rate,
        capacity_kw=point.contracted_capacity_kw,
        capacity_band=point.consumption_band if point.consumption_band.startswith("capacity") else "",
        capacity_hours_share=profile.capacity_hours_share if profile else ZERO,
    )
    return _PointRates(
        point=point,
        consumption=consumption,
        terms=terms,
        distribution=distribution_rates(
            tariffs=tariffs, period=year, phases=point.phases, cycle_months=cycle_months
        ),
        national=national_rates(rates=nationals, country=point.country, commodity=point.commodity),
    )


def _rate_year(
    rates: _PointRates, year: Period, sales: tuple[Rate, ...], *, vat_rate: Decimal, excise_included: bool,
    distribution: bool,
) -> Rating:  # fmt: skip
    assert year.end is not None
    usages = tuple(
        Usage(zone=zone, start=year.start, end=year.end, kwh=kwh, estimated=True)
        for zone, kwh in rates.consumption.kwh.items()
    )
    terms = Terms(
        commodity=rates.terms.commodity,
        comprehensive=distribution,
        household=rates.terms.household,
        vat_rate=vat_rate,
        excise_included=excise_included,
        capacity_kw=rates.terms.capacity_kw,
        capacity_band=rates.terms.capacity_band,
        capacity_hours_share=rates.terms.capacity_hours_share,
    )
    return rate(
        RatingRequest(
            period=year,
            terms=terms,
            usages=usages,
            sales_rates=sales,
            distribution_rates=rates.distribution,
            national_rates=rates.national,
        )
    )


def _sales_gross(rating: Rating, vat_rate: Decimal) -> Decimal:
    net = sum((line.net for line in rating.lines if line.group == "sales"), ZERO)
    return (net * (1 + vat_rate)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class _Pricing:
    """A side's prices: the rows per tariff group (our price list or a competitor's)."""

    key: str
    name: str
    vat_rate: Decimal
    excise_included: bool
    rates_for: dict[int, tuple[Rate, ...]]


def _our_pricing(price_list: PriceList, points: list[SupplyPoint], key: str, name: str) -> _Pricing:
    components = list(price_list.components.all())
    return _Pricing(
        key=key,
        name=name,
        vat_rate=price_list.vat_rate,
        excise_included=price_list.excise_included,
        rates_for={
            p.tariff_group_id: sales_rates(
                price_list=price_list, components=components, tariff_group_id=p.tariff_group_id
            )
            for p in points
        },
    )


def _competitor_pricing(price_list: CompetitorPriceList, points: list[SupplyPoint], key: str) -> _Pricing:
    rows = tuple(
        Rate(
            f"competitor_price:{c.pk}",
            c.kind,
            c.unit_price,
            c.unit,
            price_list.valid_from,
            price_list.valid_to,
            c.zone,
        )
        for c in price_list.components.all()
    )
    return _Pricing(
        key=key,
        name=str(price_list),
        vat_rate=price_list.vat_rate,
        excise_included=True,
        rates_for={p.tariff_group_id: rows for p in points},
    )


def _price_side(
    pricing: _Pricing, points: list[_PointRates], year: Period, *, distribution: bool
) -> tuple[Side, list]:
    side = Side(key=pricing.key, name=pricing.name)
    per_point = []
    for rates in points:
        rating = _rate_point(pricing, rates, year, distribution=distribution)
        gaps = [p for p in rating.problems if p.code == "no_rate_sales"]
        if gaps:
            first = gaps[0]
            side.missing = _(
                "%(name)s has no price of %(component)s %(zone)s from %(start)s: it is not valid over the "
                "whole year compared."
            ) % {
                "name": pricing.name,
                "component": first.component,
                "zone": first.zone,
                "start": first.period.start,
            }
            return side, []
        side.net += rating.net
        side.gross += rating.gross
        side.sales_gross += _sales_gross(rating, pricing.vat_rate)
        per_point.append({"supply_point_id": rates.point.pk, "gross": str(rating.gross)})
    return side, per_point


def _rate_point(pricing: _Pricing, rates: _PointRates, year: Period, *, distribution: bool) -> Rating:
    return _rate_year(
        rates,
        year,
        pricing.rates_for[rates.point.tariff_group_id],
        vat_rate=pricing.vat_rate,
        excise_included=pricing.excise_included,
        distribution=distribution,
    )


def _distribution_known(points: list[_PointRates], pricing: _Pricing, year: Period) -> bool:
    for rates in points:
        rating = _rate_point(pricing, rates, year, distribution=True)
        if any(p.code != "no_rate_sales" for p in rating.problems):
            return False
    return True


def competitors_for(*, company, points: list[SupplyPoint], on_date: date) -> list[CompetitorPriceList]:
    """Competitors' price lists valid on the date, for the points' commodity and tariff groups."""
    if not points:
        return []
    groups = {p.tariff_group_id for p in points}
    commodity = points[0].commodity
    rows = (
        CompetitorPriceList.objects.filter(valid_on(on_date), company=company, commodity=commodity)
        .filter(Q(tariff_group__isnull=True) | Q(tariff_group__in=groups))
        .prefetch_related("components")
        .order_by("competitor", "name")
    )
    return [r for r in rows if r.tariff_group_id is None or {r.tariff_group_id} >= groups]


def offer_compare(
    *,
    price_list: PriceList,
    points: list[SupplyPoint],
    start: date,
    on_date: date,
    current: PriceList | CompetitorPriceList | None,
    competitors: list[CompetitorPriceList],
    zone_splits: dict[int, dict[str, Decimal]] | None = None,
    cycle_months: int = 1,
) -> Comparison:
    """Price the year from ``start`` under the offer's price list, the current prices and competitors'.

    ``on_date`` is the day the comparison is made (interval data before it is used); ``cycle_months`` is
    the billing cycle offered (the DSO's subscription fee depends on it). Raises
    OfferNotPriced when the offer's own price list does not price the whole year.
    """
    if not points:
        raise OfferNotPriced.single(
            "supply_points",
            _("Add the supply points to the opportunity: an offer is priced on their consumption."),
        )
    year = comparison_year(start=start)
    zone_splits = zone_splits or {}
    point_rates = []
    comparison = Comparison(year=year)
    for point in points:
        consumption = consumption_expected(point=point, on_date=on_date, zone_split=zone_splits.get(point.pk))
        point_rates.append(
            _point_rates(point, year, consumption, vat_rate=price_list.vat_rate, cycle_months=cycle_months)
        )
        comparison.points.append(
            {
                "supply_point_id": point.pk,
                "code": point.code,
                "tariff_group": point.tariff_group.code,
                "basis": consumption.basis,
                "kwh": {z: str(v) for z, v in consumption.kwh.items()},
                "total_kwh": str(consumption.total),
            }
        )
    ours = _our_pricing(price_list, points, "offer", price_list.name)
    comparison.distribution_included = _distribution_known(point_rates, ours, year)
    distribution = comparison.distribution_included
    comparison.offer, per_point = _price_side(ours, point_rates, year, distribution=distribution)
    if comparison.offer.missing:
        raise OfferNotPriced.single("price_list_id", comparison.offer.missing)
    for row, priced in zip(comparison.points, per_point, strict=True):
        row["offer_gross"] = priced["gross"]
    if isinstance(current, PriceList):
        pricing = _our_pricing(current, points, "current", current.name)
    elif current is not None:
        pricing = _competitor_pricing(current, points, f"competitor:{current.pk}")
    else:
        pricing = None
    if pricing is not None:
        comparison.current, per_point = _price_side(pricing, point_rates, year, distribution=distribution)
        for row, priced in zip(comparison.points, per_point, strict=False):
            row["current_gross"] = priced["gross"]
    for competitor in competitors:
        if isinstance(current, CompetitorPriceList) and competitor.pk == current.pk:
            continue
        side, _per_point = _price_side(
            _competitor_pricing(competitor, points, f"competitor:{competitor.pk}"),
            point_rates,
            year,
            distribution=distribution,
        )
        comparison.competitors.append(side)
    return comparison
