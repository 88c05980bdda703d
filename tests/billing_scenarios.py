"""Contracts ready to bill, built through the domain operations (tests and benchmarks share nothing else)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from kilowatt.catalog.models import PriceComponent, PriceList, Product
from kilowatt.core.models import Company
from kilowatt.metering.operations import meter_read_record
from kilowatt.network.models import Dso, TariffGroup
from kilowatt.network.operations import meter_mount_new
from kilowatt.parties.operations import customer_create
from kilowatt.sales.models import Contract
from kilowatt.sales.operations import ContractData, contract_change_status, contract_create
from tests import factories


def price_list(
    company: Company,
    *,
    code: str,
    commodity: str,
    components: list[tuple],
    valid_from=date(2026, 1, 1),
    valid_to=None,
    excise_included=True,
) -> PriceList:
    product, _ = Product.objects.get_or_create(
        company=company, code=code, defaults={"name": code, "commodity": commodity}
    )
    prices = PriceList.objects.create(
        company=company,
        product=product,
        code=f"{code}-{valid_from:%Y%m}",
        name=f"{code} {valid_from:%Y}",
        valid_from=valid_from,
        valid_to=valid_to,
        excise_included=excise_included,
    )
    groups = {g.code: g for g in TariffGroup.objects.all()}
    PriceComponent.objects.bulk_create(
        PriceComponent(
            price_list=prices,
            kind=kind,
            zone=zone,
            tariff_group=groups.get(group) if group else None,
            unit=unit,
            unit_price=Decimal(price),
        )
        for kind, zone, group, unit, price in components
    )
    return prices


HOUSEHOLD = [
    ("energy", "all", "G11", "kWh", "0.4950"),
    ("energy", "peak", "G12w", "kWh", "0.5690"),
    ("energy", "offpeak", "G12w", "kWh", "0.3890"),
    ("handling_fee", "", None, "month", "9.99"),
]
BUSINESS = [("energy", "all", "C21", "kWh", "0.5890"), ("handling_fee", "", None, "month", "29.00")]
GAS = [("fuel", "all", None, "kWh", "0.2390"), ("subscription", "", None, "month", "8.50")]


@dataclass
class Scenario:
    contract: Contract
    registers: dict[str, object]


def billable_contract(
    company: Company,
    now: datetime,
    *,
    prices: PriceList,
    group: str = "G11",
    commodity: str = "electricity",
    dso: str = "pge-dystrybucja",
    annual: str = "2200",
    kind: str = "comprehensive",
    cycle: int = 2,
    start: date = date(2026, 1, 1),
    reads: dict[str, list[tuple[date, str]]] | None = None,
    business: bool = False,
    capacity_kw: str | None = None,
    phases: int | None = 1,
    serial: str | None = None,
    multiplier: str = "1",
) -> Scenario:
    """An active contract with a meter mounted on ``start`` and the given reads per zone."""
    customer = (
        customer_create(company=company, data=factories.business_data(), actor=None, now=now)
        if business
        else factories.customer(company, now)
    )
    code = (
        factories.ppg_code()
        if commodity == "gas"
        else factories.ppe_code(Dso.objects.get(code=dso).gs1_prefix or "5905435")
    )
    point = factories.supply_point(
        company,
        customer,
        now,
        code=code,
        commodity=commodity,
        dso_id=Dso.objects.get(code=dso).pk,
        tariff_group_id=TariffGroup.objects.get(code=group, commodity=commodity).pk,
        annual_consumption_kwh=Decimal(annual),
        phases=phases if commodity == "electricity" else None,
        contracted_capacity_kw=capacity_kw,
    )
    installation = meter_mount_new(
        supply_point=point,
        serial_number=serial or f"M{point.pk:07d}",
        installed_on=date(2020, 1, 1),
        multiplier=multiplier,
        actor=None,
        now=now,
    )
    registers = {r.zone: r for r in installation.meter.registers.all()}
    for zone, values in (reads or {}).items():
        for day, value in values:
            meter_read_record(
                company=company,
                supply_point=point,
                register=registers[zone],
                read_on=day,
                value=value,
                kind="actual",
                source="dso",
                actor=None,
                now=now,
            )
    contract = contract_create(
        company=company,
        data=ContractData(
            customer_id=customer.pk,
            kind=kind,
            product_id=prices.product_id,
            price_list_id=prices.pk,
            start_date=start,
            supply_point_ids=[point.pk],
            billing_cycle_months=cycle,
        ),
        actor=None,
        now=now,
    )
    contract_change_status(contract=contract, status="signed", on_date=start, actor=None, now=now)
    contract_change_status(contract=contract, status="active", on_date=start, actor=None, now=now)
    contract.refresh_from_db()
    return Scenario(contract=contract, registers=registers)
