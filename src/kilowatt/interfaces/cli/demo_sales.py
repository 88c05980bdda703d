"""Demo sales: two campaigns and a few dozen leads from several sources (some of them existing customers,
so the duplicate check has something to find)."""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal

from faker import Faker

from kilowatt.catalog.models import CompetitorPrice, CompetitorPriceList, PriceList, Product
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Company
from kilowatt.documents.agreements import agreement_default_body
from kilowatt.network.models import TariffGroup
from kilowatt.parties.models import Customer
from kilowatt.sales.leads import LeadData, lead_create
from kilowatt.sales.models import Campaign, ContractTemplate, Lead, OfferTemplate

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


# Competitors' 2026 prices as a retailer's analyst would keep them (net PLN); the incumbent's G11/G12
# tariff is what a customer who never chose a supplier pays.
COMPETITORS = [
    ("PGE Obrót", "Taryfa G 2026", True, ("0.6212", "0.7010", "0.4310", "11.46")),
    ("Tauron Sprzedaż", "Tauron Stabilna 2026", False, ("0.5890", "0.6650", "0.4190", "9.90")),
    ("Enea", "Enea Pewna Cena 2026", False, ("0.5120", "0.5790", "0.3990", "14.99")),
]
COMPETITOR_COMPONENTS = [("energy", "all"), ("energy", "peak"), ("energy", "offpeak"), ("handling_fee", "")]
TOUR_LEAD = LeadData(
    kind="person", first_name="Anna", last_name="Przykładowa", phone="+48 600 100 200",
    email="anna.przykladowa@example.pl", city="Łódź", commodity="electricity",
    annual_consumption_kwh="3200", source="www", notes="Tour: make her an offer and sign it.",
)  # fmt: skip


def demo_offers_setup(*, company: Company, now: datetime) -> int:
    """Offer templates, competitors' price lists, the company's own contract wording (a copy of the
    shipped one, to edit in the admin) and the tour's lead. Returns the templates created."""
    if OfferTemplate.objects.filter(company=company).exists():
        return 0
    products = {p.code: p for p in Product.objects.filter(company=company)}
    specs = [
        ("stala-cena-24", "Stała Cena na 2 lata", "prad-stala-cena", 24, "100.00", "10.00"),
        ("firma-12", "Prąd dla Firm na rok", "prad-biznes", 12, "300.00", "50.00"),
        ("gaz-dom", "Gaz dla Domu bez terminu", "gaz-dom", None, "0.00", "0.00"),
    ]
    for code, name, product, months, fee, monthly in specs:
        OfferTemplate.objects.create(
            company=company, code=code, name=name, product=products[product], term_months=months,
            early_termination_fee=Decimal(fee), early_termination_fee_per_month=Decimal(monthly),
            intro_pl="Dziękujemy za rozmowę. Poniżej porównanie Pana/Pani rocznych kosztów.",
            intro_en="Thank you for talking to us. Below, your yearly costs compared.",
        )  # fmt: skip
    margins = {"prad-stala-cena-2026": "85.00", "prad-biznes-2026": "120.00", "gaz-dom-2026": "40.00"}
    for code, margin in margins.items():
        PriceList.objects.filter(company=company, code=code).update(expected_margin_per_mwh=Decimal(margin))
    for competitor, name, incumbent, prices in COMPETITORS:
        for group in TariffGroup.objects.filter(
            country="PL", commodity="electricity", code__in=["G11", "G12"]
        ):
            listed = CompetitorPriceList.objects.create(
                company=company, competitor=competitor, name=f"{name} {group.code}", commodity="electricity",
                tariff_group=group, is_incumbent_tariff=incumbent, valid_from=date(2026, 1, 1),
                source="demo data",
            )  # fmt: skip
            zones = set(group.zones or ["all"])
            CompetitorPrice.objects.bulk_create(
                CompetitorPrice(price_list=listed, kind=kind, zone=zone, unit="kWh" if zone else "month",
                                unit_price=Decimal(price))
                for (kind, zone), price in zip(COMPETITOR_COMPONENTS, prices, strict=True)
                if not zone or zone in zones
            )  # fmt: skip
    for language in ("pl", "en"):
        ContractTemplate.objects.get_or_create(
            company=company, kind="contract", language=language,
            defaults={"body": agreement_default_body(kind="contract", language=language), "updated_at": now},
        )  # fmt: skip
    lead_create(company=company, data=TOUR_LEAD, now=now, keep_duplicate=True)
    return len(specs)
