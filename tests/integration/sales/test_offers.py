"""Offers priced by the rating engine against the current tariff and competitors; versions; acceptance
generating the contract; a price list not valid over the compared year is never used for a saving."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from kilowatt.catalog.models import CompetitorPrice, CompetitorPriceList
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import OutboxEvent, Role
from kilowatt.network.models import TariffGroup
from kilowatt.parties.operations import ContactData, contact_add, customer_create
from kilowatt.sales.contracting import SigningPersonMissing
from kilowatt.sales.models import (
    ContractDocumentKind,
    ContractStatus,
    OfferStatus,
    OfferTemplate,
    Opportunity,
    OpportunityStage,
)
from kilowatt.sales.offers import (
    OfferData,
    offer_accept,
    offer_create,
    offer_reject,
    offer_revise,
    offer_send,
)
from kilowatt.sales.paperwork import offer_pdf
from kilowatt.sales.pricing import OfferNotPriced
from tests import factories
from tests.billing_scenarios import HOUSEHOLD, price_list
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 10)
START = date(2026, 4, 1)


def competitor(company, *, name, energy, fee, valid_from=date(2026, 1, 1), valid_to=None, incumbent=False):
    prices = CompetitorPriceList.objects.create(
        company=company,
        competitor=name,
        name=f"{name} G11",
        commodity="electricity",
        tariff_group=TariffGroup.objects.get(code="G11", commodity="electricity"),
        is_incumbent_tariff=incumbent,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    CompetitorPrice.objects.create(
        price_list=prices, kind="energy", zone="all", unit="kWh", unit_price=energy
    )
    CompetitorPrice.objects.create(
        price_list=prices, kind="handling_fee", zone="", unit="month", unit_price=fee
    )
    return prices


@pytest.fixture
def seller(company):
    return make_staff("seller", company, Role.SALES_MANAGER)


@pytest.fixture
def setup(company, now, seller):
    prices = price_list(company, code="dom-stala", commodity="electricity", components=HOUSEHOLD)
    template = OfferTemplate.objects.create(
        company=company, code="dom-24", name="Dom 24", product=prices.product, term_months=24,
        early_termination_fee="100.00", early_termination_fee_per_month="10.00",
    )  # fmt: skip
    customer = factories.customer(company, now)
    point = factories.supply_point(company, customer, now)
    opportunity = Opportunity.objects.create(
        company=company,
        customer=customer,
        name="Kowalski",
        owner=seller,
        commodity="electricity",
        created_at=now,
    )
    opportunity.supply_points.set([point])
    incumbent = competitor(company, name="PGE Obrót", energy="0.6000", fee="12.00", incumbent=True)
    rival = competitor(company, name="Tauron", energy="0.5500", fee="0.00")
    return prices, template, opportunity, point, incumbent, rival


def test_the_offer_shows_its_saving_against_the_current_tariff_and_competitors(company, now, seller, setup):
    prices, template, opportunity, point, incumbent, rival = setup
    offer = offer_create(
        opportunity=opportunity,
        data=OfferData(template_id=template.pk, price_list_id=prices.pk, start_date=START),
        on_date=TODAY,
        actor=seller,
        now=now,
    )
    version = offer.versions.get()
    # 2,200 kWh × 0.4950 + 12 × 9.99 = 1,208.88 net → 1,486.92 gross; the incumbent (taken as the
    # current tariff: nothing else known) 2,200 × 0.60 + 12 × 12.00 = 1,464.00 → 1,800.72.
    # The DSO's 2026 tariff ends on 2027-01-01, before the year compared ends: distribution left out.
    assert version.comparison["distribution_included"] is False
    assert version.offer_gross == Decimal("1486.92")
    assert version.current_gross == Decimal("1800.72") and version.current_competitor == incumbent
    assert version.saving == Decimal("313.80") and version.saving_percent == Decimal("17.43")
    [other] = version.comparison["competitors"]
    assert other["name"] == str(rival) and other["gross"] == "1488.30" and other["saving"] == "1.38"
    assert version.comparison["points"][0]["basis"] == "annual"
    assert version.valid_until == TODAY + timedelta(days=14) and version.end_date == date(2028, 4, 1)
    opportunity.refresh_from_db()
    assert opportunity.stage == OpportunityStage.OFFER and offer.number.startswith("OF")
    for language in ("pl", "en"):
        offer.language = language
        offer.save()
        pdf = PdfReader(BytesIO(offer_pdf(version=version, issued_on=TODAY)))
        text = "".join(page.extract_text() for page in pdf.pages).replace(",", ".")
        assert offer.number in text and "313.80" in text and "17.43" in text and "Tauron" in text


def test_a_price_list_not_valid_over_the_year_gives_no_saving(company, now, seller, setup):
    prices, template, opportunity, _point, incumbent, _rival = setup
    # The offer's own price list ends in the middle of the year compared: refused, naming it.
    short = price_list(
        company, code="dom-stala", commodity="electricity", components=HOUSEHOLD,
        valid_from=date(2026, 2, 1), valid_to=date(2026, 12, 1),
    )  # fmt: skip
    with pytest.raises(OfferNotPriced) as refused:
        offer_create(
            opportunity=opportunity,
            data=OfferData(template_id=template.pk, price_list_id=short.pk, start_date=START),
            on_date=TODAY, actor=seller, now=now,
        )  # fmt: skip
    assert refused.value.field == "price_list_id" and "2026-12-01" in refused.value.message
    # Not valid on the start date at all.
    later = price_list(
        company, code="dom-stala", commodity="electricity", components=HOUSEHOLD, valid_from=date(2026, 6, 1)
    )
    with pytest.raises(ValidationFailed) as refused:
        offer_create(
            opportunity=opportunity,
            data=OfferData(template_id=template.pk, price_list_id=later.pk, start_date=START),
            on_date=TODAY, actor=seller, now=now,
        )  # fmt: skip
    assert refused.value.field == "price_list_id"
    # The current supplier's prices end in the year: shown as missing, no saving against them.
    incumbent.valid_to = date(2026, 10, 1)
    incumbent.save()
    ending = competitor(company, name="Enea", energy="0.61", fee="1", valid_to=date(2026, 9, 1))
    offer = offer_create(
        opportunity=opportunity,
        data=OfferData(
            template_id=template.pk,
            price_list_id=prices.pk,
            start_date=START,
            current_competitor_id=ending.pk,
        ),
        on_date=TODAY, actor=seller, now=now,
    )  # fmt: skip
    version = offer.versions.get()
    assert version.saving is None and version.saving_percent is None and version.current_gross is None
    assert "not valid over the whole year" in version.comparison["current"]["missing"]


def test_versions_accept_and_the_generated_contract(company, now, seller, setup):
    prices, template, opportunity, point, incumbent, _rival = setup
    data = OfferData(template_id=template.pk, price_list_id=prices.pk, start_date=START)
    offer = offer_create(opportunity=opportunity, data=data, on_date=TODAY, actor=seller, now=now)
    with pytest.raises(ValidationFailed) as refused:
        offer_revise(offer=offer, data=data, on_date=TODAY, actor=seller, now=now)
    assert refused.value.field == "note"
    data.start_date = date(2026, 5, 1)
    data.note = "later start"
    second = offer_revise(offer=offer, data=data, on_date=TODAY, actor=seller, now=now)
    assert second.version == 2 and offer.versions.get(version=1).start_date == START
    offer_send(offer=offer, now=now)
    # Expired: the version was valid for 14 days.
    with pytest.raises(ValidationFailed) as refused:
        offer_accept(offer=offer, on_date=TODAY + timedelta(days=15), actor=seller, now=now)
    assert refused.value.code == "expired"
    contract = offer_accept(offer=offer, on_date=TODAY, actor=seller, now=now)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED and offer.accepted_version == second
    assert contract.status == ContractStatus.DRAFT and contract.offer_version == second
    assert contract.customer == opportunity.customer and contract.price_list == prices
    assert contract.start_date == date(2026, 5, 1) and contract.end_date == date(2028, 5, 1)
    assert contract.early_termination_fee_per_month == Decimal("10.00")
    assert [link.supply_point for link in contract.supply_point_links.all()] == [point]
    assert [s.name for s in contract.signers.all()] == [opportunity.customer.display_name]
    document = contract.documents.get(kind=ContractDocumentKind.CONTRACT)
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(bytes(document.content))).pages)
    assert contract.number in text and point.code in text and "0.495000" in text.replace(",", ".")
    assert OutboxEvent.objects.filter(name="sales.offer.accepted-v1").exists()
    opportunity.refresh_from_db()
    assert opportunity.stage == OpportunityStage.WON
    with pytest.raises(ValidationFailed):
        offer_reject(offer=offer, reason="too late", actor=seller, now=now)


def test_a_business_without_a_signing_person_gets_no_contract(company, now, seller, setup):
    prices, template, opportunity, _point, _incumbent, _rival = setup
    business = customer_create(company=company, data=factories.business_data(), actor=None, now=now)
    point = factories.supply_point(company, business, now)
    opportunity = Opportunity.objects.create(
        company=company,
        customer=business,
        name="Firma",
        owner=seller,
        commodity="electricity",
        created_at=now,
    )
    opportunity.supply_points.set([point])
    data = OfferData(template_id=template.pk, price_list_id=prices.pk, start_date=START)
    offer = offer_create(opportunity=opportunity, data=data, on_date=TODAY, actor=seller, now=now)
    with pytest.raises(SigningPersonMissing) as refused:
        offer_accept(offer=offer, on_date=TODAY, actor=seller, now=now)
    assert refused.value.field == "signers" and "signing person" in refused.value.message
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DRAFT  # nothing half-written
    contact_add(
        customer=business,
        data=ContactData(first_name="Anna", last_name="Prezes", email="a@firma.pl", is_signing_person=True),
        actor=None,
        now=now,
    )
    contract = offer_accept(offer=offer, on_date=TODAY, actor=seller, now=now)
    assert [s.name for s in contract.signers.all()] == ["Anna Prezes"]


def test_an_offer_rejected_with_a_reason(company, now, seller, setup):
    prices, template, opportunity, *_ = setup
    data = OfferData(template_id=template.pk, price_list_id=prices.pk, start_date=START)
    offer = offer_create(opportunity=opportunity, data=data, on_date=TODAY, actor=seller, now=now)
    with pytest.raises(ValidationFailed):
        offer_reject(offer=offer, reason=" ", actor=seller, now=now)
    offer = offer_reject(offer=offer, reason="Stays with PGE", actor=seller, now=now)
    assert offer.status == OfferStatus.REJECTED and offer.reject_reason == "Stays with PGE"


def test_interval_data_is_the_consumption_basis_when_a_year_is_measured(company, now, seller, setup):
    from kilowatt.metering.intervals import IntervalDayInput, interval_days_store_bulk, intervals_in_day
    from kilowatt.sales.pricing import consumption_expected

    _prices, _template, opportunity, _point, *_ = setup
    g12 = TariffGroup.objects.get(code="G12", commodity="electricity")
    point = factories.supply_point(company, opportunity.customer, now, tariff_group_id=g12.pk)
    first = TODAY - timedelta(days=365)
    days = [first + timedelta(days=n) for n in range(365)]
    stored = interval_days_store_bulk(
        company=company,
        days=[
            IntervalDayInput(
                point.pk, day, 15, "import", [100] * intervals_in_day(day=day, resolution_minutes=15)
            )
            for day in days
        ],
        source="test",
        now=now,
    )
    assert stored.created == 365  # DST days with 92 and 100 quarter-hours among them
    measured = consumption_expected(point=point, on_date=TODAY)
    assert measured.basis == "interval" and measured.total == Decimal("3504.000")  # 35,040 × 0.1 kWh
    # PGE's G12: 10 off-peak hours a day (13–15, 22–6), every day the same.
    assert measured.kwh["offpeak"] == Decimal("1460.000") and measured.kwh["peak"] == Decimal("2044.000")
    # Fewer than 90 % of the year's days measured: back to the annual estimate.
    assert consumption_expected(point=point, on_date=TODAY + timedelta(days=60)).basis == "annual"
    split = consumption_expected(
        point=point, on_date=TODAY + timedelta(days=60), zone_split={"peak": "900", "offpeak": "300"}
    )
    assert split.basis == "zones" and split.kwh == {"peak": Decimal("900.000"), "offpeak": Decimal("300.000")}
