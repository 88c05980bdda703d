"""Guards found in review: a contract changed after it was sent is not signed on the old PDF, an offer is
accepted only for the points it priced, the customer's own language on the contract, a signing link
that stops showing the document, a current supplier's prices for another tariff group, a price annex
changing VAT or excise."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.test import Client
from pypdf import PdfReader

from kilowatt.catalog.models import CompetitorPrice, CompetitorPriceList
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Role
from kilowatt.network.models import TariffGroup
from kilowatt.sales.lifecycle import AnnexChanges, annex_create
from kilowatt.sales.models import ContractDocumentKind, ContractStatus, OfferTemplate, Opportunity
from kilowatt.sales.offers import OfferData, offer_accept, offer_create
from kilowatt.sales.operations import ContractData, contract_change_status, contract_update
from kilowatt.sales.signatures import (
    SignatureRefused,
    signature_code_confirm,
    signature_request_start,
    signing_token,
)
from tests import factories
from tests.billing_scenarios import HOUSEHOLD, price_list
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 10)


@pytest.fixture
def sale(company, now, settings, tmp_path):
    settings.SMS_FAKE_FILE = tmp_path / "sms.jsonl"
    seller = make_staff("seller", company, Role.SALES_MANAGER)
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    template = OfferTemplate.objects.create(company=company, code="dom", name="Dom", product=prices.product)
    customer = factories.customer(company, now, phone="601234567")  # a Polish-speaking customer
    opportunity = Opportunity.objects.create(
        company=company, customer=customer, name="Jan", owner=seller, commodity="electricity", created_at=now
    )
    opportunity.supply_points.set([factories.supply_point(company, customer, now)])
    data = OfferData(template_id=template.pk, price_list_id=prices.pk, start_date=date(2026, 4, 1))
    offer = offer_create(opportunity=opportunity, data=data, on_date=TODAY, actor=seller, now=now)
    return seller, prices, template, opportunity, offer


def _data(contract, **changes) -> ContractData:
    values = {
        "customer_id": contract.customer_id,
        "kind": contract.kind,
        "product_id": contract.product_id,
        "price_list_id": contract.price_list_id,
        "start_date": contract.start_date,
        "end_date": contract.end_date,
        "supply_point_ids": list(contract.supply_point_links.values_list("supply_point_id", flat=True)),
    }
    return ContractData(**{**values, **changes})


def test_a_contract_changed_after_it_was_sent_is_not_signed_on_the_old_pdf(sale, now, settings):
    seller, *_rest, offer = sale
    contract = offer_accept(offer=offer, on_date=TODAY, actor=seller, now=now)
    request = signature_request_start(contract=contract, now=now)
    code = factories.one_time_code(settings.SMS_FAKE_FILE.read_text())
    later = now + timedelta(minutes=2)
    contract_update(
        contract=contract, data=_data(contract, start_date=date(2026, 5, 1)), actor=seller, now=later
    )
    with pytest.raises(SignatureRefused) as refused:
        signature_code_confirm(
            party=request.parties.get(), code=code, ip_address=None, user_agent="", now=later
        )
    assert refused.value.code == "document_changed"
    # Sent again: printed again from the contract as it is now, and signed on that.
    again = signature_request_start(contract=contract, now=later)
    assert again.document != request.document and again.document.created_at == later
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(bytes(again.document.content))).pages)
    assert "01.05.2026" in text
    code = factories.one_time_code(settings.SMS_FAKE_FILE.read_text())
    signature_code_confirm(party=again.parties.get(), code=code, ip_address=None, user_agent="", now=later)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.SIGNED


def test_an_offer_is_accepted_only_for_the_points_it_priced(sale, company, now):
    seller, _prices, _template, opportunity, offer = sale
    opportunity.supply_points.add(factories.supply_point(company, opportunity.customer, now))
    with pytest.raises(ValidationFailed) as refused:
        offer_accept(offer=offer, on_date=TODAY, actor=seller, now=now)
    assert refused.value.code == "points_changed"


def test_the_contract_is_printed_in_the_customers_language(sale, now):
    seller, *_rest, offer = sale
    contract = offer_accept(offer=offer, on_date=TODAY, actor=seller, now=now)  # staff work in English
    document = contract.documents.get(kind=ContractDocumentKind.CONTRACT)
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(bytes(document.content))).pages)
    assert "Energia" in text and "Energy" not in text and "month" not in text


def test_the_signing_link_stops_showing_the_document(sale, now, clock, monkeypatch):
    monkeypatch.setattr("kilowatt.interfaces.signing.system_clock", clock)
    seller, *_rest, offer = sale
    contract = offer_accept(offer=offer, on_date=TODAY, actor=seller, now=now)
    first = signature_request_start(contract=contract, now=now)
    link = f"/sign/{signing_token(party=first.parties.get())}/document/"
    client = Client()
    assert client.get(link).status_code == 200
    signature_request_start(contract=contract, now=now)  # the first request is cancelled
    assert client.get(link).status_code == 404


def test_current_prices_must_fit_the_points(sale, company, now):
    seller, prices, template, opportunity, _offer = sale
    other = CompetitorPriceList.objects.create(
        company=company, competitor="X", name="X C11", commodity="electricity", valid_from=date(2026, 1, 1),
        tariff_group=TariffGroup.objects.get(code="C11", commodity="electricity"),
    )  # fmt: skip
    CompetitorPrice.objects.create(price_list=other, kind="energy", zone="all", unit="kWh", unit_price="0.5")
    data = OfferData(
        template_id=template.pk,
        price_list_id=prices.pk,
        start_date=date(2026, 4, 1),
        current_competitor_id=other.pk,
    )
    with pytest.raises(ValidationFailed) as refused:
        offer_create(opportunity=opportunity, data=data, on_date=TODAY, actor=seller, now=now)
    assert refused.value.field == "current_competitor_id"


def test_a_price_annex_cannot_change_vat_or_excise(sale, company, now):
    seller, prices, *_rest, offer = sale
    contract = offer_accept(offer=offer, on_date=TODAY, actor=seller, now=now)
    contract_change_status(contract=contract, status="signed", on_date=TODAY, actor=None, now=now)
    without_excise = price_list(
        company, code="dom", commodity="electricity", components=HOUSEHOLD, valid_from=date(2026, 2, 1),
        excise_included=False,
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        annex_create(contract=contract, kind="price", effective_from=date(2026, 6, 1),
                     changes=AnnexChanges(price_list_id=without_excise.pk), actor=None, now=now)  # fmt: skip
    assert refused.value.field == "price_list_id" and "excise" in refused.value.message
    assert Decimal(prices.vat_rate) == Decimal("0.23")


def test_a_zone_split_gives_every_zone_and_a_won_opportunity_takes_no_second_offer(sale, company, now):
    seller, prices, template, opportunity, offer = sale
    g12 = TariffGroup.objects.get(code="G12w", commodity="electricity")
    point = factories.supply_point(company, opportunity.customer, now, tariff_group_id=g12.pk)
    opportunity.supply_points.set([point])
    data = OfferData(
        template_id=template.pk, price_list_id=prices.pk, start_date=date(2026, 4, 1),
        zone_splits={point.pk: {"peak": "1200"}},
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        offer_create(opportunity=opportunity, data=data, on_date=TODAY, actor=seller, now=now)
    assert refused.value.field == f"zone_splits.{point.pk}.offpeak"
    data.zone_splits = {point.pk: {"peak": "1200", "offpeak": "800"}}
    second = offer_create(opportunity=opportunity, data=data, on_date=TODAY, actor=seller, now=now)
    assert second.versions.get().comparison["points"][0]["total_kwh"] == "2000.000"
    offer_accept(offer=second, on_date=TODAY, actor=seller, now=now)
    with pytest.raises(ValidationFailed) as refused:
        offer_accept(offer=offer, on_date=TODAY, actor=seller, now=now)
    assert refused.value.code == "already_won"
