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


def sales_channel(company: Company, code: str = "partners"):
    from kilowatt.channels.models import ChannelKind, SalesChannel

    channel, _ = SalesChannel.objects.get_or_create(
        company=company, code=code, defaults={"name": code.title(), "kind": ChannelKind.PARTNER_NETWORK}
    )
    return channel


def organisation(company: Company, now: datetime, code: str, parent=None, product_kinds=("energy",)):
    """A partner organisation (or a branch of ``parent``) allowed to offer every energy product."""
    from kilowatt.channels.operations import organisation_create

    return organisation_create(
        company=company,
        channel=parent.channel if parent is not None else sales_channel(company),
        code=code,
        name=f"Partner {code}",
        parent=parent,
        email=f"{code}@partner.example",
        bank_account="PL61109010140000071219812874",
        product_kinds=[] if parent is not None else list(product_kinds),
        now=now,
    )


def agent(organisation, username: str, role: str = "agent"):
    """A partner user (no back-office membership) selling for ``organisation``."""
    from django.contrib.auth import get_user_model

    from kilowatt.channels.operations import agent_add

    user = get_user_model().objects.create_user(
        username=username,
        password="s3cret-pass!",
        first_name=username.title(),
        email=f"{username}@example.pl",
    )
    return agent_add(organisation=organisation, user=user, code=username.upper(), role=role)
