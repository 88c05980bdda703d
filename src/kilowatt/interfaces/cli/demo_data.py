"""Generator of realistic Polish demo data, fast enough for 100,000s of customers (bulk inserts).

Values are produced with the same checks the domain uses (python-stdnum, GS1 check digits), and
numbers are taken from the companies' number series, so the result is indistinguishable from data
entered through the operations.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from faker import Faker
from stdnum.pl import nip as nip_module
from stdnum.pl import pesel as pesel_module
from stdnum.pl import regon as regon_module

from kilowatt.catalog.models import PriceComponent, PriceList, Product
from kilowatt.core.identifiers import gsrn18_with_check_digit
from kilowatt.core.models import Company, Membership, Role
from kilowatt.core.numbering import number_series_take
from kilowatt.network.models import (
    ConsumptionBand,
    Dso,
    Meter,
    MeterInstallation,
    MeterRegister,
    SupplyPoint,
    SupplyPointStatus,
    TariffGroup,
)
from kilowatt.network.operations import consumption_band_for
from kilowatt.parties.models import Address, Consent, ContactPerson, Customer
from kilowatt.parties.operations import ADDRESS_FIELDS, customer_search_text
from kilowatt.sales.models import Contract, ContractStatus, ContractSupplyPoint

DEMO_PASSWORD = "kilowatt-demo"
# Bank routing number 1090 1014 and the company's fixed digits 7777: each customer's virtual account.
DEMO_BANK_PREFIX = "109010147777"
DEMO_STAFF = [
    ("admin", Role.ADMIN),
    ("backoffice", Role.BACK_OFFICE),
    ("sales", Role.SALES_MANAGER),
    ("billing", Role.BILLING),
    ("finance", Role.FINANCE),
    ("collections", Role.COLLECTIONS),
    ("callcentre", Role.CALL_CENTRE),
]
COMPANIES = {
    "demo": ("Kilowatt Demo Energia S.A.", "5261040828"),
    "north": ("Energia Północ Sp. z o.o.", "7740001454"),
}
# Shipped reference tariffs cover PGE and TAURON; points elsewhere get sales-only contracts.
ELECTRICITY_DSOS = [
    "pge-dystrybucja",
    "tauron-dystrybucja",
    "enea-operator",
    "energa-operator",
    "stoen-operator",
]
DSO_WEIGHTS = [46, 42, 4, 4, 4]
TARIFF_DSOS = {"pge-dystrybucja", "tauron-dystrybucja", "psg"}
REGISTERS = {
    "all": ["1.8.0"],
    "peak": ["1.8.1"],
    "offpeak": ["1.8.2"],
    "peak_morning": ["1.8.1"],
    "peak_afternoon": ["1.8.3"],
}
OBIS_BY_ZONE = {
    "all": "1.8.0",
    "peak": "1.8.1",
    "offpeak": "1.8.2",
    "peak_morning": "1.8.1",
    "peak_afternoon": "1.8.3",
}


@dataclass
class DemoResult:
    company: Company
    customers: int
    supply_points: int
    contracts: int


def staff_ensure(*, company: Company, prefix: str = "") -> None:
    users = get_user_model()
    for username, role in DEMO_STAFF:
        user, created = users.objects.get_or_create(
            username=f"{prefix}{username}", defaults={"first_name": username.title()}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = role == Role.ADMIN
            user.save()
        Membership.objects.get_or_create(user=user, company=company, role=role)


def _offer_catalog(company: Company) -> dict[str, tuple[Product, PriceList]]:
    groups = {g.code: g for g in TariffGroup.objects.filter(country="PL")}
    offers = {}
    specs = [
        (
            "prad-stala-cena",
            "Prąd Stała Cena 2026",
            "electricity",
            [
                ("energy", "all", "G11", "0.4950"),
                ("energy", "peak", "G12", "0.5590"),
                ("energy", "offpeak", "G12", "0.3790"),
                ("energy", "peak", "G12w", "0.5690"),
                ("energy", "offpeak", "G12w", "0.3890"),
                ("handling_fee", "", None, "9.99"),
            ],
        ),
        (
            "prad-biznes",
            "Prąd dla Firm 2026",
            "electricity",
            [
                ("energy", "all", "C11", "0.6150"),
                ("energy", "all", "C21", "0.5890"),
                ("handling_fee", "", None, "29.00"),
            ],
        ),
        (
            "gaz-dom",
            "Gaz dla Domu 2026",
            "gas",
            [("fuel", "all", None, "0.2390"), ("subscription", "", None, "8.50")],
        ),
    ]
    for code, name, commodity, components in specs:
        product, _ = Product.objects.get_or_create(
            company=company, code=code, defaults={"name": name, "commodity": commodity}
        )
        price_list, created = PriceList.objects.get_or_create(
            company=company,
            code=f"{code}-2026",
            defaults={"product": product, "name": name, "valid_from": date(2026, 1, 1)},
        )
        if created:
            PriceComponent.objects.bulk_create(
                PriceComponent(
                    price_list=price_list,
                    kind=kind,
                    zone=zone,
                    unit="kWh" if zone else "month",
                    tariff_group=groups.get(group) if group else None,
                    unit_price=Decimal(price),
                )
                for kind, zone, group, price in components
            )
        offers[code] = (product, price_list)
    return offers


def _valid_pesel(fake: Faker, rng: random.Random, used: set[str]) -> str:
    while True:
        value = fake.pesel(
            date_of_birth=datetime(rng.randint(1940, 2004), rng.randint(1, 12), rng.randint(1, 28))
        )
        if pesel_module.is_valid(value) and value not in used:
            used.add(value)
            return value


def _valid_nip(fake: Faker, used: set[str]) -> str:
    while True:
        value = fake.nip()
        if nip_module.is_valid(value) and value not in used:
            used.add(value)
            return value


def _valid_regon(rng: random.Random) -> str:
    body = f"{rng.randint(10000000, 99999999)}"
    return body + regon_module.calc_check_digit(body)


class DemoGenerator:
    def __init__(self, *, company: Company, seed: int, now: datetime) -> None:
        self.company = company
        self.rng = random.Random(seed)
        self.fake = Faker("pl_PL")
        self.fake.seed_instance(seed)
        self.now = now
        self.used_pesel = set(Customer.objects.exclude(pesel="").values_list("pesel", flat=True))
        self.used_nip = set(Customer.objects.exclude(nip="").values_list("nip", flat=True))
        self.dsos = {d.code: d for d in Dso.objects.all()}
        self.groups = {(g.commodity, g.code): g for g in TariffGroup.objects.filter(country="PL")}
        self.bands = list(ConsumptionBand.objects.filter(country="PL"))
        self.offers = _offer_catalog(company)
        self.point_sequence = SupplyPoint.objects.count() + 1
        self.meter_sequence = Meter.objects.filter(company=company).count() + 1

    def _address(self) -> Address:
        return Address(
            street=self.fake.street_name(),
            building_number=str(self.rng.randint(1, 180)),
            apartment_number=str(self.rng.randint(1, 90)) if self.rng.random() < 0.5 else "",
            postal_code=self.fake.postcode(),
            city=self.fake.city(),
        )

    def _band(self, commodity: str, household: bool, annual: Decimal) -> str:
        band = (
            consumption_band_for(
                country="PL",
                commodity=commodity,
                household=household,
                annual_kwh=annual,
                on_date=self.now.date(),
            )
            if len(self.bands) > 50
            else self._band_in_memory(commodity, household, annual)
        )
        return band.code if band else ""

    def _band_in_memory(self, commodity: str, household: bool, annual: Decimal):
        day = self.now.date()
        for band in sorted(self.bands, key=lambda b: (not b.households_only, b.valid_from), reverse=False):
            if band.commodity != commodity or (band.households_only and not household):
                continue
            if (
                band.valid_from <= day
                and (band.valid_to is None or band.valid_to > day)
                and band.lower_kwh <= annual
                and (band.upper_kwh is None or annual < band.upper_kwh)
            ):
                return band
        return None

    def _customer(self, number: str, business: bool) -> tuple[Customer, Address]:
        address = self._address()
        if business:
            customer = Customer(
                company=self.company,
                number=number,
                kind="business",
                business_name=self.fake.company(),
                nip=_valid_nip(self.fake, self.used_nip),
                regon=_valid_regon(self.rng),
                email=f"biuro{number.split('/')[1]}@{self.fake.free_email_domain()}",
            )
        else:
            first, last = self.fake.first_name(), self.fake.last_name()
            customer = Customer(
                company=self.company,
                number=number,
                kind="person",
                first_name=first,
                last_name=last,
                pesel=_valid_pesel(self.fake, self.rng, self.used_pesel),
                email=f"{self.fake.user_name()}{number.split('/')[1]}@{self.fake.free_email_domain()}",
            )
        customer.phone = f"+48{self.rng.choice('5678')}{self.rng.randint(10000000, 99999999)}"
        customer.preferred_channel = self.rng.choice(["email", "email", "portal", "paper", "sms"])
        customer.created_at = customer.updated_at = self.now
        customer.search_text = customer_search_text(customer=customer, address=address)
        return customer, address

    def _ppe(self, dso: Dso) -> str:
        body = f"{dso.gs1_prefix}{self.point_sequence:010d}"[:17]
        self.point_sequence += 1
        return gsrn18_with_check_digit(body)

    def _ppg(self) -> str:
        body = f"5903655{self.point_sequence:010d}"[:17]
        self.point_sequence += 1
        return "8018" + gsrn18_with_check_digit(body)

    def _point(self, customer: Customer, address: Address, gas: bool) -> SupplyPoint:
        business = customer.kind == "business"
        if gas:
            annual = Decimal(self.rng.randint(2000, 25000))
            group_code = "W-1.1" if annual <= 3350 else "W-2.1" if annual <= 13350 else "W-3.6"
            group, dso, code = self.groups[("gas", group_code)], self.dsos["psg"], self._ppg()
        else:
            annual = Decimal(self.rng.randint(8000, 60000) if business else self.rng.randint(300, 6000))
            group_code = self.rng.choice(
                ["C11", "C11", "C21"] if business else ["G11", "G11", "G11", "G12", "G12w"]
            )
            dso = self.dsos[self.rng.choices(ELECTRICITY_DSOS, weights=DSO_WEIGHTS)[0]]
            group, code = self.groups[("electricity", group_code)], self._ppe(dso)
        return SupplyPoint(
            company=self.company,
            customer=customer,
            code=code,
            commodity="gas" if gas else "electricity",
            country="PL",
            dso=dso,
            tariff_group=group,
            annual_consumption_kwh=annual,
            consumption_band=self._band(group.commodity, group.is_household, annual),
            contracted_capacity_kw=Decimal(self.rng.choice([14, 16, 21, 40, 60])) if not gas else None,
            phases=None if gas else self.rng.choice([1, 3, 3]),
            status=SupplyPointStatus.ACTIVE,
            address=address,
            created_at=self.now,
            updated_at=self.now,
        )

    @transaction.atomic
    def generate(self, count: int) -> DemoResult:
        numbers = number_series_take(
            company=self.company, document_type="customer", year=self.now.year, count=count
        )
        customers, addresses, business_flags = [], [], []
        for number in numbers:
            business = self.rng.random() < 0.15
            customer, address = self._customer(number, business)
            customers.append(customer)
            addresses.append(address)
            business_flags.append(business)
        Address.objects.bulk_create(addresses, batch_size=2000)
        for customer, address in zip(customers, addresses, strict=True):
            customer.address = address
        Customer.objects.bulk_create(customers, batch_size=2000)
        point_addresses, points = [], []
        for customer, address in zip(customers, addresses, strict=True):
            kinds = [False] + ([True] if self.rng.random() < 0.12 else [])
            for gas in kinds:
                point_address = Address(**{f: getattr(address, f) for f in ADDRESS_FIELDS})
                point_addresses.append(point_address)
                points.append(self._point(customer, point_address, gas))
        Address.objects.bulk_create(point_addresses, batch_size=2000)
        for point, address in zip(points, point_addresses, strict=True):
            point.address = address
        SupplyPoint.objects.bulk_create(points, batch_size=2000)
        self._meters(points)
        self._contacts_and_consents(customers, business_flags)
        contracts = self._contracts(points)
        return DemoResult(self.company, len(customers), len(points), contracts)

    def _meters(self, points: list[SupplyPoint]) -> None:
        meters, registers, installations = [], [], []
        for point in points:
            meter = Meter(
                company=self.company,
                serial_number=f"{self.meter_sequence:08d}",
                commodity=point.commodity,
                manufacturer=self.rng.choice(["Apator", "Landis+Gyr", "Itron"]),
                is_smart=self.rng.random() < 0.3,
            )
            self.meter_sequence += 1
            meters.append(meter)
        Meter.objects.bulk_create(meters, batch_size=2000)
        for point, meter in zip(points, meters, strict=True):
            zones = point.tariff_group.zones or ["all"]
            unit = "m3" if point.commodity == "gas" else "kWh"
            registers.extend(
                MeterRegister(meter=meter, code=OBIS_BY_ZONE.get(z, "1.8.0"), zone=z, unit=unit)
                for z in zones
            )
            installations.append(
                MeterInstallation(
                    meter=meter, supply_point=point, installed_on=date(2015 + self.rng.randint(0, 9), 1, 1)
                )
            )
        MeterRegister.objects.bulk_create(registers, batch_size=5000)
        MeterInstallation.objects.bulk_create(installations, batch_size=2000)

    def _contacts_and_consents(self, customers: list[Customer], business_flags: list[bool]) -> None:
        contacts, consents = [], []
        for customer, business in zip(customers, business_flags, strict=True):
            if business:
                contacts.append(
                    ContactPerson(
                        customer=customer,
                        first_name=self.fake.first_name(),
                        last_name=self.fake.last_name(),
                        role="board_member",
                        email=f"zarzad@{customer.email.split('@')[1]}",
                        is_signing_person=True,
                    )
                )
            granted = self.now - timedelta(days=self.rng.randint(30, 2000))
            consents.append(
                Consent(customer=customer, kind="processing", granted_at=granted, source="contract")
            )
            if self.rng.random() < 0.6:
                consents.append(
                    Consent(customer=customer, kind="e_invoice", granted_at=granted, source="contract")
                )
            if self.rng.random() < 0.3:
                consents.append(
                    Consent(customer=customer, kind="marketing", granted_at=granted, source="web form")
                )
        ContactPerson.objects.bulk_create(contacts, batch_size=2000)
        Consent.objects.bulk_create(consents, batch_size=5000)

    def _contracts(self, points: list[SupplyPoint]) -> int:
        numbers = number_series_take(
            company=self.company, document_type="contract", year=self.now.year, count=len(points)
        )
        contracts, links = [], []
        for point, number in zip(points, numbers, strict=True):
            if point.commodity == "gas":
                product, price_list = self.offers["gaz-dom"]
            elif point.customer.kind == "business":
                product, price_list = self.offers["prad-biznes"]
            else:
                product, price_list = self.offers["prad-stala-cena"]
            start = (
                date(2026, self.rng.randint(1, 3), 1)
                if self.rng.random() < 0.3
                else date(2025, self.rng.randint(1, 12), 1)
            )
            status = self.rng.choices(
                [
                    ContractStatus.ACTIVE,
                    ContractStatus.SIGNED,
                    ContractStatus.DRAFT,
                    ContractStatus.TERMINATED,
                ],
                weights=[80, 8, 7, 5],
            )[0]
            contracts.append(
                Contract(
                    company=self.company,
                    number=number,
                    customer=point.customer,
                    kind=(
                        self.rng.choice(["comprehensive", "comprehensive", "sales"])
                        if point.dso.code in TARIFF_DSOS
                        else "sales"
                    ),
                    product=product,
                    price_list=price_list,
                    status=status,
                    signed_on=None if status == ContractStatus.DRAFT else start - timedelta(days=30),
                    start_date=start,
                    billing_cycle_months=(cycle := self.rng.choice([1, 2, 2, 6, 12])),
                    forecast_billing=cycle >= 6,
                    created_at=self.now,
                    updated_at=self.now,
                )
            )
        Contract.objects.bulk_create(contracts, batch_size=2000)
        for contract, point in zip(contracts, points, strict=True):
            links.append(
                ContractSupplyPoint(contract=contract, supply_point=point, valid_from=contract.start_date)
            )
        ContractSupplyPoint.objects.bulk_create(links, batch_size=5000)
        return len(contracts)


def demo_company_ensure(*, code: str) -> Company:
    name, nip = COMPANIES.get(code, (f"Demo {code}", ""))
    company, _ = Company.objects.get_or_create(
        code=code, defaults={"name": name, "nip": nip, "bank_account_prefix": DEMO_BANK_PREFIX}
    )
    return company


def demo_data_generate(
    *, company: Company, customers: int, seed: int, now: datetime, batch_size: int = 5000
) -> DemoResult:
    generator = DemoGenerator(company=company, seed=seed, now=now)
    totals = DemoResult(company, 0, 0, 0)
    remaining = customers
    while remaining > 0:
        part = generator.generate(min(batch_size, remaining))
        totals.customers += part.customers
        totals.supply_points += part.supply_points
        totals.contracts += part.contracts
        remaining -= part.customers
    return totals
