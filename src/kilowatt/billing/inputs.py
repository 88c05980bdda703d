"""From stored data to rating requests: a batch of contracts is loaded in a fixed number of queries.

This is where reads are chosen (or estimated), gas volume becomes energy, and the rates valid in the
period are gathered; the pre-billing findings (missing reads, reads in error or in the future, missing
zones) are raised here so that nothing unexplained reaches the rating engine.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import Q

from kilowatt.billing.estimation import (
    FLAT_PROFILE,
    KnownRead,
    estimate_value,
    profile_weight,
    yearly_consumption,
)
from kilowatt.billing.findings import Finding, finding
from kilowatt.billing.models import InvoiceKind, InvoiceRead
from kilowatt.catalog.models import (
    DistributionTariff,
    GasConversionFactor,
    LoadProfile,
    NationalRate,
    PriceComponent,
    PriceList,
    Product,
)
from kilowatt.catalog.rates import distribution_rates, national_rates, sales_rates
from kilowatt.catalog.rating import Rate, RatingRequest, Terms, Usage
from kilowatt.core.models import Company
from kilowatt.core.money import energy_round
from kilowatt.core.periods import Period
from kilowatt.metering.models import MeterRead, ReadKind, Severity
from kilowatt.metering.validation import dial_difference
from kilowatt.network.models import Direction, Dso, MeterInstallation, MeterRegister, SupplyPoint, TariffGroup
from kilowatt.sales.models import Contract, ContractKind, ContractPriceTerm, ContractSupplyPoint

HISTORY_DAYS = 400
LOOKAHEAD_DAYS = 62
# Plain strings: hashing enum members is slow, and this runs for every register of every bill.
KIND_PREFERENCE = {
    str(k): i
    for i, k in enumerate([ReadKind.ACTUAL, ReadKind.CUSTOMER, ReadKind.ESTIMATE, ReadKind.FORECAST])
}
ESTIMATED_KINDS = frozenset({str(ReadKind.ESTIMATE), str(ReadKind.FORECAST)})
MEASURED_KINDS = frozenset({str(ReadKind.ACTUAL), str(ReadKind.CUSTOMER)})


class ReadRow(NamedTuple):
    pk: int
    register_id: int
    read_on: date
    value: Decimal
    kind: str
    highest_severity: str


@dataclass(frozen=True)
class ReadPoint:
    """A register's value on a day: a stored read (``read_id``) or an estimate still to be stored."""

    day: date
    value: Decimal
    read_id: int | None
    estimated: bool


@dataclass(frozen=True)
class RegisterUse:
    register_id: int
    register_code: str
    meter_serial: str
    zone: str
    unit: str
    start: ReadPoint
    end: ReadPoint
    consumption: Decimal
    conversion_factor: Decimal | None
    kwh: Decimal


@dataclass
class PreparedBill:
    contract: Contract
    period: Period
    kind: str
    supply_point: SupplyPoint | None = None
    request: RatingRequest | None = None
    registers: list[RegisterUse] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(f.blocks for f in self.findings)


@dataclass(frozen=True)
class BillTarget:
    contract_id: int
    period: Period
    kind: str = InvoiceKind.PERIODIC


def bills_prepare(*, targets: list[BillTarget], today: date) -> list[PreparedBill]:
    """Prepare every target of a batch: rating requests where the data allows, findings where not.

    ``today`` is the day billing runs: a read dated after it is in the future and holds the contract.
    """
    if not targets:
        return []
    loader = _BatchData(targets=targets)
    return [loader.prepare(target, today=today) for target in targets]


class _BatchData:
    def __init__(self, *, targets: list[BillTarget]) -> None:
        ids = [t.contract_id for t in targets]
        first = min(t.period.start for t in targets)
        last = max(t.period.end for t in targets if t.period.end)
        price_lists = self._load_contracts(ids)
        self._load_rates(price_lists, first)
        self._load_meters_and_reads(first, last)
        self._load_previous_ends(targets)

    def _load_contracts(self, ids: list[int]) -> dict[int, PriceList]:
        # The few distinct DSOs, tariff groups, products and price lists are loaded once and shared.
        self.contracts = {
            c.pk: c for c in Contract.objects.filter(pk__in=ids).select_related("customer__address")
        }
        self.links: dict[int, list[ContractSupplyPoint]] = defaultdict(list)
        for link in ContractSupplyPoint.objects.filter(contract_id__in=ids):
            self.links[link.contract_id].append(link)
        self.price_terms: dict[int, list[ContractPriceTerm]] = defaultdict(list)
        for term in ContractPriceTerm.objects.filter(contract_id__in=ids).order_by("valid_from"):
            self.price_terms[term.contract_id].append(term)
        companies = {
            c.pk: c for c in Company.objects.filter(pk__in={c.company_id for c in self.contracts.values()})
        }
        products = {
            p.pk: p for p in Product.objects.filter(pk__in={c.product_id for c in self.contracts.values()})
        }
        wanted = {c.price_list_id for c in self.contracts.values()}
        wanted |= {t.price_list_id for terms in self.price_terms.values() for t in terms}
        price_lists = {p.pk: p for p in PriceList.objects.filter(pk__in=wanted)}
        for contract in self.contracts.values():
            contract.company = companies[contract.company_id]
            contract.product = products[contract.product_id]
            contract.price_list = price_lists[contract.price_list_id]
        links = [link for group in self.links.values() for link in group]
        self.points = {
            p.pk: p
            for p in SupplyPoint.objects.filter(
                pk__in={link.supply_point_id for link in links}
            ).select_related("address")
        }
        dsos = {d.pk: d for d in Dso.objects.filter(pk__in={p.dso_id for p in self.points.values()})}
        groups = {
            g.pk: g
            for g in TariffGroup.objects.filter(pk__in={p.tariff_group_id for p in self.points.values()})
        }
        for point in self.points.values():
            point.dso = dsos[point.dso_id]
            point.tariff_group = groups[point.tariff_group_id]
        self.price_lists = price_lists
        return price_lists

    def _load_rates(self, price_lists: dict[int, PriceList], first: date) -> None:
        self.components: dict[int, list[PriceComponent]] = defaultdict(list)
        for component in PriceComponent.objects.filter(price_list_id__in=price_lists):
            self.components[component.price_list_id].append(component)
        pairs = {(p.dso_id, p.tariff_group_id) for p in self.points.values()}
        self.tariffs: dict[tuple[int, int], list[DistributionTariff]] = defaultdict(list)
        tariff_filter = Q(pk__in=[])
        for dso_id, group_id in pairs:
            tariff_filter |= Q(dso_id=dso_id, tariff_group_id=group_id)
        for tariff in DistributionTariff.objects.filter(tariff_filter).prefetch_related("rates"):
            self.tariffs[(tariff.dso_id, tariff.tariff_group_id)].append(tariff)
        self.national = list(NationalRate.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=first)))
        self.profiles: dict[int, list[LoadProfile]] = defaultdict(list)
        for profile in LoadProfile.objects.all():
            self.profiles[profile.tariff_group_id].append(profile)
        self.gas_factors = list(
            GasConversionFactor.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=first))
        )

    def _load_meters_and_reads(self, first: date, last: date) -> None:
        self.installations: dict[int, list[MeterInstallation]] = defaultdict(list)
        for installation in (
            MeterInstallation.objects.filter(supply_point_id__in=self.points, installed_on__lt=last)
            .filter(Q(removed_on__isnull=True) | Q(removed_on__gt=first))
            .select_related("meter")
        ):
            self.installations[installation.supply_point_id].append(installation)
        meter_ids = {i.meter_id for items in self.installations.values() for i in items}
        self.registers: dict[int, list[MeterRegister]] = defaultdict(list)
        for register in MeterRegister.objects.filter(meter_id__in=meter_ids).order_by("code"):
            self.registers[register.meter_id].append(register)
        register_ids = [r.pk for group in self.registers.values() for r in group]
        self.reads: dict[int, list[ReadRow]] = defaultdict(list)
        for row in (
            MeterRead.objects.filter(
                register_id__in=register_ids,
                read_on__gte=first - timedelta(days=HISTORY_DAYS),
                superseded_by__isnull=True,
            )
            .order_by("register_id", "read_on", "id")
            .values_list("pk", "register_id", "read_on", "value", "kind", "highest_severity")
        ):
            read = ReadRow(*row)
            self.reads[read.register_id].append(read)

    def _load_previous_ends(self, targets: list[BillTarget]) -> None:
        # Each bill continues from the end reads of the latest invoice of its contract that ends where it
        # starts (a correction's, if one was issued since), so no energy is counted twice or lost.
        self.previous_ends: dict[tuple[int, int], MeterRead] = {}
        wanted = {t.contract_id: t.period.start for t in targets}
        for use in (
            InvoiceRead.objects.filter(
                role="end",
                read__superseded_by__isnull=True,  # a corrected read gives way to its correction
                invoice__contract_id__in=wanted,
                invoice__period_end__in=set(wanted.values()),
                invoice__kind__in=[InvoiceKind.PERIODIC, InvoiceKind.SETTLEMENT, InvoiceKind.CORRECTION],
            )
            .select_related("read", "invoice")
            .order_by("invoice__issued_at", "invoice_id")
        ):
            if use.invoice.period_end == wanted[use.invoice.contract_id]:
                self.previous_ends[(use.invoice.contract_id, use.read.register_id)] = use.read

    def prepare(self, target: BillTarget, *, today: date) -> PreparedBill:
        contract = self.contracts[target.contract_id]
        bill = PreparedBill(contract=contract, period=target.period, kind=target.kind)
        period = target.period
        links = [
            link
            for link in self.links.get(contract.pk, [])
            if Period(link.valid_from, link.valid_to).overlaps(period)
        ]
        if not links:
            bill.findings.append(finding("no_supply_point", contract=contract.number))
            return bill
        if len(links) > 1:
            bill.findings.append(finding("several_supply_points", contract=contract.number))
            return bill
        point = self.points[links[0].supply_point_id]
        bill.supply_point = point
        profile = self._profile(point, period.start)
        tariffs = self.tariffs.get((point.dso_id, point.tariff_group_id), [])
        if point.phases is None and any(
            r.component == "fixed_network" and r.variant for t in tariffs for r in t.rates.all()
        ):
            bill.findings.append(finding("no_phases", contract=contract.number, point=point.code))
            return bill
        if target.kind == InvoiceKind.FORECAST:
            usages = _forecast_usages(point, profile, period)
        else:
            bill.registers = self._register_uses(bill, point, profile, today)
            if bill.blocked:
                return bill
            usages = tuple(
                Usage(
                    zone=r.zone,
                    start=r.start.day,
                    end=r.end.day,
                    kwh=r.kwh,
                    read_ids=tuple(i for i in (r.start.read_id, r.end.read_id) if i),
                    estimated=r.start.estimated or r.end.estimated,
                )
                for r in bill.registers
            )
        bill.request = RatingRequest(
            period=period,
            terms=Terms(
                commodity=point.commodity,
                comprehensive=contract.kind == ContractKind.COMPREHENSIVE,
                household=point.tariff_group.is_household,
                vat_rate=contract.price_list.vat_rate,
                excise_included=contract.price_list.excise_included,
                capacity_kw=point.contracted_capacity_kw,
                capacity_band=point.consumption_band if point.consumption_band.startswith("capacity") else "",
                capacity_hours_share=profile.capacity_hours_share if profile else Decimal(0),
            ),
            usages=usages,
            sales_rates=self._sales_rates(contract, point, period),
            distribution_rates=distribution_rates(
                tariffs=self.tariffs.get((point.dso_id, point.tariff_group_id), []),
                period=period,
                phases=point.phases,
                cycle_months=contract.billing_cycle_months,
            ),
            national_rates=national_rates(
                rates=self.national, country=point.country, commodity=point.commodity
            ),
        )
        return bill

    def _sales_rates(self, contract: Contract, point: SupplyPoint, period: Period) -> tuple[Rate, ...]:
        """The rates of every price term of the contract overlapping the period, each clipped to its term's
        dates, so a price annex inside the period splits it; a contract without terms bills by its price
        list as it always did."""
        terms = self.price_terms.get(contract.pk)
        if not terms:
            return sales_rates(
                price_list=contract.price_list,
                components=self.components.get(contract.price_list_id, []),
                tariff_group_id=point.tariff_group_id,
            )
        rates: list[Rate] = []
        for term in terms:
            if not Period(term.valid_from, term.valid_to).overlaps(period):
                continue
            for row in sales_rates(
                price_list=self.price_lists[term.price_list_id],
                components=self.components.get(term.price_list_id, []),
                tariff_group_id=point.tariff_group_id,
            ):
                term_period = Period(term.valid_from, term.valid_to)
                clipped = Period(row.valid_from, row.valid_to).intersection(term_period)
                if clipped is not None:
                    rates.append(replace(row, valid_from=clipped.start, valid_to=clipped.end))
        return tuple(rates)

    def _profile(self, point: SupplyPoint, day: date) -> LoadProfile | None:
        for profile in sorted(
            self.profiles.get(point.tariff_group_id, []), key=lambda p: p.valid_from, reverse=True
        ):
            if profile.valid_from <= day and (profile.valid_to is None or day < profile.valid_to):
                return profile
        return None

    def _register_uses(
        self, bill: PreparedBill, point: SupplyPoint, profile: LoadProfile | None, today: date
    ) -> list[RegisterUse]:
        period, contract = bill.period, bill.contract
        assert period.end is not None
        installations = self.installations.get(point.pk, [])
        if not installations:
            bill.findings.append(finding("no_meter", contract=contract.number, point=point.code))
            return []
        shares = tuple(Decimal(s) for s in profile.monthly_shares) if profile else None
        zone_shares = {z: Decimal(s) for z, s in (profile.zone_shares if profile else {}).items()}
        uses: list[RegisterUse] = []
        zones_seen: set[str] = set()
        for installation in installations:
            span = Period(installation.installed_on, installation.removed_on).intersection(period)
            if span is None or span.end is None:
                continue
            meter = installation.meter
            for register in self.registers.get(meter.pk, []):
                if register.direction != Direction.IMPORT:
                    continue
                zones_seen.add(register.zone)
                reads = self.reads.get(register.pk, [])
                self._check_reads(bill, reads, register.code, period, today)
                usable = [r for r in reads if r.highest_severity != "error" and r.read_on <= today]
                zone_share = zone_shares.get(
                    register.zone, Decimal(1) / max(len(point.tariff_group.zones), 1)
                )
                # The estimate is made in the register's own units: dial steps, not kWh.
                annual = point.annual_consumption_kwh / meter.multiplier
                if point.commodity == "gas":
                    annual = annual / (self._gas_factor(point, span) or Decimal("11"))
                previous_end = self.previous_ends.get((contract.pk, register.pk))
                if previous_end is not None and previous_end.read_on == span.start:
                    start = ReadPoint(
                        previous_end.read_on,
                        previous_end.value,
                        previous_end.pk,
                        previous_end.kind in ESTIMATED_KINDS,
                    )
                else:
                    start = _value_on(usable, span.start, annual, zone_share, shares)
                end = _value_on(usable, span.end, annual, zone_share, shares)
                if start is None or end is None:
                    bill.findings.append(
                        finding(
                            "no_read",
                            contract=contract.number,
                            register=register.code,
                            meter=meter.serial_number,
                            day=span.start if start is None else span.end,
                        )
                    )
                    continue
                middle = [
                    ReadPoint(r.read_on, r.value, r.pk, False)
                    for r in usable
                    if start.day < r.read_on < end.day and r.kind in MEASURED_KINDS
                ]
                uses.extend(self._segments(bill, point, meter, register, [start, *middle, end]))
        return self._zones_checked(bill, point, zones_seen, uses)

    def _segments(
        self, bill: PreparedBill, point: SupplyPoint, meter, register, points: list[ReadPoint]
    ) -> list[RegisterUse]:
        """Consumption between each pair of consecutive reads: a price change falling on a read splits by
        what was measured, not by days."""
        uses = []
        for start, end in zip(points, points[1:], strict=False):
            amount, _ = dial_difference(previous=start.value, current=end.value, digits=register.digits)
            if amount < 0:
                bill.findings.append(
                    finding(
                        "negative_consumption",
                        contract=bill.contract.number,
                        register=register.code,
                        start=start.value,
                        end=end.value,
                    )
                )
                return []
            consumption = energy_round(amount * meter.multiplier)
            factor, kwh = None, consumption
            if point.commodity == "gas":
                span = Period(start.day, end.day)
                factor = self._gas_factor(point, span)
                if factor is None:
                    bill.findings.append(finding("no_gas_factor", contract=bill.contract.number, period=span))
                    return []
                kwh = (consumption * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP)
            uses.append(
                RegisterUse(
                    register.pk,
                    register.code,
                    meter.serial_number,
                    register.zone,
                    register.unit,
                    start,
                    end,
                    consumption,
                    factor,
                    kwh,
                )
            )
        return uses

    def _zones_checked(
        self, bill: PreparedBill, point: SupplyPoint, zones_seen: set[str], uses: list[RegisterUse]
    ) -> list[RegisterUse]:
        missing = set(point.tariff_group.zones) - zones_seen
        if missing and not bill.findings:
            bill.findings.append(
                finding(
                    "missing_zone",
                    contract=bill.contract.number,
                    zones=", ".join(sorted(missing)),
                    group=point.tariff_group.code,
                )
            )
        return uses

    def _check_reads(
        self, bill: PreparedBill, reads: list[ReadRow], register_code: str, period: Period, today: date
    ) -> None:
        assert period.end is not None
        for read in reads:
            if read.read_on > today:
                bill.findings.append(
                    finding(
                        "read_in_future",
                        contract=bill.contract.number,
                        register=register_code,
                        day=read.read_on,
                    )
                )
            elif read.highest_severity == Severity.ERROR and period.start <= read.read_on <= period.end:
                bill.findings.append(
                    finding(
                        "read_in_error",
                        contract=bill.contract.number,
                        register=register_code,
                        day=read.read_on,
                    )
                )

    def _gas_factor(self, point: SupplyPoint, span: Period) -> Decimal | None:
        """The day-weighted mean of the area's factors over the period; days the area has no row for take
        the DSO-wide row. None when some day has neither."""
        assert span.end is not None
        own = [f for f in self.gas_factors if f.dso_id == point.dso_id and f.area_id == point.area_id]
        wide = [f for f in self.gas_factors if f.dso_id == point.dso_id and f.area_id is None]
        weighted, day = Decimal(0), span.start
        while day < span.end:
            row = next(
                (f for f in own if f.valid_from <= day and (f.valid_to is None or day < f.valid_to)), None
            )
            row = row or next(
                (f for f in wide if f.valid_from <= day and (f.valid_to is None or day < f.valid_to)), None
            )
            if row is None:
                return None
            weighted += row.factor
            day += timedelta(days=1)
        return (weighted / span.days).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _forecast_usages(point: SupplyPoint, profile: LoadProfile | None, period: Period) -> tuple[Usage, ...]:
    """A forecast month: the annual estimate spread by the profile's monthly and zone shares."""
    assert period.end is not None
    shares = tuple(Decimal(s) for s in profile.monthly_shares) if profile else FLAT_PROFILE
    weight = profile_weight(start=period.start, end=period.end, monthly_shares=shares)
    zones = point.tariff_group.zones or ["all"]
    zone_shares = {z: Decimal(v) for z, v in (profile.zone_shares if profile else {}).items()}
    usages = []
    for zone in zones:
        kwh = point.annual_consumption_kwh * weight * zone_shares.get(zone, Decimal(1) / len(zones))
        kwh = (
            kwh.quantize(Decimal(1), rounding=ROUND_HALF_UP)
            if point.commodity == "gas"
            else energy_round(kwh)
        )
        usages.append(Usage(zone=zone, start=period.start, end=period.end, kwh=kwh, estimated=True))
    return tuple(usages)


def _value_on(
    reads: list[ReadRow],
    day: date,
    annual: Decimal,
    zone_share: Decimal,
    shares: tuple[Decimal, ...] | None,
) -> ReadPoint | None:
    on_day = [r for r in reads if r.read_on == day]
    if on_day:
        best = min(on_day, key=lambda r: (KIND_PREFERENCE.get(r.kind, 9), -r.pk))
        return ReadPoint(day, best.value, best.pk, best.kind in ESTIMATED_KINDS)
    before = [r for r in reads if r.read_on < day]
    if not before:
        return None
    after = next((r for r in reads if day < r.read_on <= day + timedelta(days=LOOKAHEAD_DAYS)), None)
    history = [KnownRead(r.read_on, r.value) for r in before if r.kind == "actual"]
    monthly = shares or tuple(Decimal(1) / 12 for _ in range(12))
    yearly, _ = yearly_consumption(reads=history, annual_estimate=annual * zone_share, monthly_shares=monthly)
    value = estimate_value(
        target=day,
        before=KnownRead(before[-1].read_on, before[-1].value),
        after=KnownRead(after.read_on, after.value) if after else None,
        yearly=yearly,
        zone_share=Decimal(1),
        monthly_shares=monthly,
    )
    return ReadPoint(day, value, None, True)
