"""Builders of valid records for tests, going through the domain operations."""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime
from decimal import Decimal

from kilowatt.core.identifiers import gsrn18_with_check_digit
from kilowatt.core.models import Company
from kilowatt.network.models import Dso, TariffGroup
from kilowatt.network.operations import SupplyPointData, supply_point_create
from kilowatt.parties.models import Customer
from kilowatt.parties.operations import AddressData, CustomerData, customer_create

_sequence = itertools.count(1)

# Valid PESEL numbers (checksums correct) for persons in tests.
PESELS = ["44051401359", "02070803628"]


def address(**overrides) -> AddressData:
    values = {
        "street": "Marszałkowska",
        "building_number": "10",
        "apartment_number": "4",
        "postal_code": "00-590",
        "city": "Warszawa",
    }
    values.update(overrides)
    return AddressData(**values)


def person_data(**overrides) -> CustomerData:
    values = {
        "kind": "person",
        "first_name": "Jan",
        "last_name": "Kowalski",
        "email": "jan@example.pl",
        "phone": "601 234 567",
        "address": address(),
    }
    values.update(overrides)
    return CustomerData(**values)


def business_data(**overrides) -> CustomerData:
    values = {
        "kind": "business",
        "business_name": "Piekarnia Nowak sp. z o.o.",
        "nip": "5260250274",
        "email": "biuro@piekarnia.pl",
        "address": address(city="Kraków", postal_code="30-001"),
    }
    values.update(overrides)
    return CustomerData(**values)


def customer(company: Company, now: datetime, **overrides) -> Customer:
    return customer_create(company=company, data=person_data(**overrides), actor=None, now=now)


def ppe_code(dso_prefix: str = "5905435") -> str:
    body = f"{dso_prefix}{next(_sequence):010d}"
    return gsrn18_with_check_digit(body[:17])


def ppg_code() -> str:
    return "8018" + gsrn18_with_check_digit(f"5903655{next(_sequence):010d}"[:17])


def supply_point_data(**overrides) -> SupplyPointData:
    values = {
        "code": ppe_code(),
        "commodity": "electricity",
        "dso_id": Dso.objects.get(code="pge-dystrybucja").pk,
        "tariff_group_id": TariffGroup.objects.get(code="G11", commodity="electricity").pk,
        "annual_consumption_kwh": Decimal("2200"),
        "phases": 1,
        "address": address(),
    }
    values.update(overrides)
    return SupplyPointData(**values)


def supply_point(company: Company, customer: Customer, now: datetime, **overrides):
    return supply_point_create(
        company=company, customer=customer, data=supply_point_data(**overrides), actor=None, now=now
    )


TODAY = date(2026, 3, 10)


def one_time_code(text: str) -> str:
    """The last one-time signing code in a message's text, in Polish ("… to 123456") or English ("… is …")."""
    return re.findall(r"(?:is|to) (\d{6})\b", text)[-1]
