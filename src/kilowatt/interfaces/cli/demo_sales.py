"""Demo sales: two campaigns and a few dozen leads from several sources (some of them existing customers,
so the duplicate check has something to find)."""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal

from faker import Faker

from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Company
from kilowatt.parties.models import Customer
from kilowatt.sales.leads import LeadData, lead_create
from kilowatt.sales.models import Campaign, Lead

SOURCES = ("www", "porownywarka", "targi", "telefon", "polecenie")


def demo_leads_generate(*, company: Company, count: int, seed: int, now: datetime) -> int:
    """Campaigns and ``count`` leads (about one in ten repeats an existing customer's phone)."""
    if Lead.objects.filter(company=company).exists():
        return 0
    rng, fake = random.Random(seed), Faker("pl_PL")
    fake.seed_instance(seed)
    spring = Campaign.objects.create(
        company=company, code="wiosna-2026", name="Wiosna 2026 — fotowoltaika i prąd", channel="online",
        cost=Decimal("18000.00"), starts_on=date(2026, 3, 1), ends_on=date(2026, 5, 31),
    )  # fmt: skip
    autumn = Campaign.objects.create(
        company=company, code="jesien-2026", name="Jesień 2026 — gaz dla firm", channel="telemarketing",
        cost=Decimal("9500.00"), starts_on=date(2026, 9, 1), ends_on=date(2026, 11, 30),
    )  # fmt: skip
    phones = list(
        Customer.objects.filter(company=company).exclude(phone="").values_list("phone", flat=True)[:50]
    )
    created = 0
    for _ in range(count):
        business = rng.random() < 0.3
        repeat = phones and rng.random() < 0.1
        data = LeadData(
            kind="business" if business else "person",
            first_name="" if business else fake.first_name(),
            last_name="" if business else fake.last_name(),
            business_name=fake.company() if business else "",
            phone=rng.choice(phones)
            if repeat
            else f"+48 {rng.randint(500, 799)} {rng.randint(100, 999)} {rng.randint(100, 999)}",
            email="" if rng.random() < 0.4 else fake.email(),
            city=fake.city(),
            commodity="gas" if business and rng.random() < 0.6 else "electricity",
            annual_consumption_kwh=str(rng.choice([1800, 2500, 3200, 12000, 45000])),
            source=rng.choice(SOURCES),
            campaign=(autumn if business else spring).code if rng.random() < 0.6 else "",
        )
        try:
            lead_create(company=company, data=data, now=now, keep_duplicate=True)
            created += 1
        except ValidationFailed:
            continue  # a generated value that does not validate: skipped, like a bad row
    return created
