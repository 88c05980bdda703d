"""The partner portal's sales pages through HTTP, as an agent in front of the customer: a lead typed in,
converted, the customer's supply point added, an offer calculated (only of products the organisation may
offer) and accepted, the contract signed with the one-time code the customer received, and the switch of
supplier shown in plain words. List pages answer in a bounded number of queries."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client, RequestFactory

from kilowatt.catalog.models import CompetitorPrice, CompetitorPriceList
from kilowatt.channels.queries import scope_of_agent
from kilowatt.core.clock import FixedClock
from kilowatt.interfaces.partners.sales_pages import home_panels, switch_words
from kilowatt.network.models import Dso, SupplyPoint, TariffGroup
from kilowatt.sales.models import (
    Contract,
    ContractDocumentKind,
    ContractStatus,
    Lead,
    LeadStatus,
    Offer,
    OfferStatus,
    OfferTemplate,
    Opportunity,
)
from kilowatt.sales.offers import OfferData, offer_accept, offer_create
from kilowatt.switching.models import CaseStatus, SwitchCase
from kilowatt.switching.setup import process_usual_create
from tests import factories
from tests.billing_scenarios import HOUSEHOLD, price_list
from tests.conftest import NOW

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 10)
START = date(2026, 4, 1)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    for module in ("common", "sales_pages", "offer_pages", "contract_pages"):
        monkeypatch.setattr(f"kilowatt.interfaces.partners.{module}.system_clock", FixedClock(NOW))


@pytest.fixture
def sms(settings, tmp_path):
    settings.SMS_BACKEND = "fake"
    settings.SMS_FAKE_FILE = tmp_path / "sms.jsonl"
    return settings.SMS_FAKE_FILE


@pytest.fixture
def catalogue(company):
    """An energy product the partners may offer (with its template) and a service product they may not."""
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    template = OfferTemplate.objects.create(
        company=company, code="dom", name="Dom 2026", product=prices.product
    )
    service = price_list(company, code="serwis", commodity="electricity", components=HOUSEHOLD)
    service.product.kind = "service"
    service.product.save(update_fields=["kind"])
    hidden = OfferTemplate.objects.create(
        company=company, code="serwis", name="Serwis Plus", product=service.product
    )
    group = TariffGroup.objects.get(code="G11", commodity="electricity")
    for name, energy, incumbent in (("PGE Obrót", "0.6200", True), ("Tauron", "0.5600", False)):
        competitor = CompetitorPriceList.objects.create(
            company=company,
            competitor=name,
            name=f"{name} G11",
            commodity="electricity",
            tariff_group=group,
            is_incumbent_tariff=incumbent,
            valid_from=date(2026, 1, 1),
        )
        CompetitorPrice.objects.create(
            price_list=competitor, kind="energy", zone="all", unit="kWh", unit_price=energy
        )
        CompetitorPrice.objects.create(
            price_list=competitor, kind="handling_fee", zone="", unit="month", unit_price="10.00"
        )
    return {"template": template, "prices": prices, "hidden": hidden, "hidden_prices": service}


def partner_client(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def contract_for(company, now, agent, catalogue, *, name="Kowalski", accept=True):
    """A customer of ``agent`` with a supply point, an opportunity, an offer and (accepted) its contract."""
    customer = factories.customer(company, now, last_name=name, email=f"{name.lower()}@example.pl")
    point = factories.supply_point(company, customer, now)
    opportunity = Opportunity.objects.create(
        company=company,
        customer=customer,
        name=name,
        owner=agent.user,
        organisation=agent.organisation,
        commodity="electricity",
        created_at=now,
    )
    opportunity.supply_points.set([point])
    offer = offer_create(
        opportunity=opportunity,
        data=OfferData(
            template_id=catalogue["template"].pk, price_list_id=catalogue["prices"].pk, start_date=START
        ),
        on_date=TODAY,
        actor=agent.user,
        now=now,
    )
    if not accept:
        return offer
    return offer_accept(offer=offer, on_date=TODAY, actor=agent.user, now=now)


def test_lead_to_signed_contract(company, now, catalogue, sms, django_capture_on_commit_callbacks):
    partner = factories.organisation(company, now, "alfa")
    ola = factories.agent(partner, "ola")
    dso = Dso.objects.get(code="pge-dystrybucja")
    process_usual_create(company=company, dso=dso, commodity="electricity")
    client = partner_client(ola)

    response = client.post(
        "/partners/leads/new/",
        {
            "kind": "person",
            "first_name": "Jan",
            "last_name": "Nowicki",
            "phone": "601 234 567",
            "email": "jan.nowicki@example.pl",
            "city": "Warszawa",
            "commodity": "electricity",
            "annual_consumption_kwh": "2600",
        },
    )
    lead = Lead.objects.get(last_name="Nowicki")
    assert response.status_code == 302 and response["Location"] == f"/partners/leads/{lead.pk}/"
    assert lead.organisation == partner and lead.agent == ola.user
    page = client.get(f"/partners/leads/{lead.pk}/").content.decode()
    assert "Jan Nowicki" in page and 'id="convert-form"' in page

    address = {"address_street": "Polna", "address_building_number": "5", "address_postal_code": "00-001"}
    response = client.post(f"/partners/leads/{lead.pk}/convert/", {**address, "address_city": "Warszawa"})
    opportunity = Opportunity.objects.get(lead=lead)
    assert response["Location"] == f"/partners/opportunities/{opportunity.pk}/"
    assert opportunity.organisation == partner and opportunity.owner == ola.user
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED

    page = client.get(f"/partners/opportunities/{opportunity.pk}/").content.decode()
    assert "No supply point yet" in page and "offer-form" not in page
    new_point = f"/partners/opportunities/{opportunity.pk}/supply-points/new/"
    form = client.get(new_point).content.decode()
    assert 'value="Polna"' in form and 'value="2600' in form  # the customer's address, the lead's kWh
    code = factories.ppe_code("5905435")
    response = client.post(
        new_point,
        {
            "code": code,
            "commodity": "electricity",
            "dso_id": dso.pk,
            "tariff_group_id": TariffGroup.objects.get(code="G11", commodity="electricity").pk,
            "annual_consumption_kwh": "2600",
            "phases": "1",
            **address,
            "address_city": "Warszawa",
        },
    )
    assert response["Location"] == f"/partners/opportunities/{opportunity.pk}/"
    assert list(opportunity.supply_points.values_list("code", flat=True)) == [code]

    page = client.get(f"/partners/opportunities/{opportunity.pk}/").content.decode()
    assert code in page and "Dom 2026" in page
    assert "Serwis Plus" not in page  # a product the organisation may not offer is not offered
    offer_form = {
        "price_list_id": catalogue["prices"].pk,
        "start_date": "2026-04-01",
        "current_competitor_id": "",
        "language": "pl",
    }
    refused = client.post(
        f"/partners/opportunities/{opportunity.pk}/offers/new/",
        {**offer_form, "template_id": catalogue["hidden"].pk},
    )
    assert refused.status_code == 200 and not Offer.objects.exists()
    assert "Select a valid choice" in refused.content.decode()

    response = client.post(
        f"/partners/opportunities/{opportunity.pk}/offers/new/",
        {**offer_form, "template_id": catalogue["template"].pk},
    )
    offer = Offer.objects.get(opportunity=opportunity)
    assert response["Location"] == f"/partners/offers/{offer.pk}/"
    page = client.get(f"/partners/offers/{offer.pk}/").content.decode()
    version = offer.versions.get()
    assert 'class="comparison"' in page and "This offer" in page and 'id="accept-offer"' in page
    assert version.saving > 0 and f"{version.saving_percent} %" in page  # against the incumbent's tariff
    assert "PGE Obrót G11" in page and "Tauron G11" in page  # what the customer pays now, a competitor
    pdf = client.get(f"/partners/offers/{offer.pk}/versions/1/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    response = client.post(f"/partners/offers/{offer.pk}/action/", {"action": "accept"})
    contract = Contract.objects.get(offer_version__offer=offer)
    assert response["Location"] == f"/partners/contracts/{contract.pk}/"
    assert contract.organisation == partner and contract.agent == ola.user
    page = client.get(f"/partners/contracts/{contract.pk}/").content.decode()
    assert "Not signed yet" in page and 'id="send-for-signature"' in page
    document = contract.documents.get(kind=ContractDocumentKind.CONTRACT)
    pdf = client.get(f"/partners/contracts/{contract.pk}/documents/{document.pk}/")
    assert pdf.content.startswith(b"%PDF")

    signer = contract.signers.get()
    client.post(
        f"/partners/contracts/{contract.pk}/signature/", {"action": "start", f"channel_{signer.pk}": "sms"}
    )
    party = contract.signature_requests.get().parties.get()
    assert party.channel == "sms" and party.destination == "+48601234567"
    page = client.get(f"/partners/contracts/{contract.pk}/").content.decode()
    assert f'id="confirm-code-{party.pk}"' in page

    wrong = client.post(
        f"/partners/contracts/{contract.pk}/signature/",
        {
            "action": "confirm",
            "party": party.pk,
            "code": "000000" if "000000" not in sms.read_text() else "1",
        },
        follow=True,
    )
    assert "Wrong code" in wrong.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/partners/contracts/{contract.pk}/signature/",
            {"action": "confirm", "party": party.pk, "code": factories.one_time_code(sms.read_text())},
        )
    contract.refresh_from_db()
    assert contract.status == ContractStatus.SIGNED
    party.refresh_from_db()
    assert "partner portal, entered with ola of Partner alfa" in party.user_agent
    case = contract.switch_cases.get()  # the signed contract opened the switch of its supply point
    assert case.status == CaseStatus.OPEN
    page = client.get(f"/partners/contracts/{contract.pk}/").content.decode()
    assert re.search(r'id="contract-status">Signed<', page)
    assert "Being prepared by us: preparing the documents" in page and case.supply_point.code in page
    signed = contract.documents.get(kind=ContractDocumentKind.SIGNED_CONTRACT)
    assert f"/partners/contracts/{contract.pk}/documents/{signed.pk}/" in page
    assert client.get(f"/partners/contracts/{contract.pk}/documents/{signed.pk}/").content.startswith(b"%PDF")

    contracts = client.get("/partners/contracts/").content.decode()
    assert contract.number in contracts and "Being prepared by us" in contracts
    home = client.get("/partners/").content.decode()
    assert 'id="panel-recent-contracts"' in home and contract.number in home


def test_refusals_are_shown_next_to_the_fields(company, now, catalogue):
    partner = factories.organisation(company, now, "alfa")
    ola = factories.agent(partner, "ola")
    known = factories.customer(company, now, last_name="Znany", email="znany@example.pl")
    client = partner_client(ola)

    page = client.post(
        "/partners/leads/new/", {"kind": "person", "last_name": "Ktoś", "email": "znany@example.pl"}
    ).content.decode()
    assert "This customer is already known to us" in page and "Znany" not in page
    page = client.post(
        "/partners/leads/new/", {"kind": "person", "last_name": "Bez Kontaktu"}
    ).content.decode()
    assert "Give at least a phone number or an e-mail" in page
    assert not Lead.objects.exists()

    offer = contract_for(company, now, ola, catalogue, accept=False)
    opportunity = offer.opportunity
    point = opportunity.supply_points.get()
    taken = client.post(
        f"/partners/opportunities/{opportunity.pk}/supply-points/new/",
        {
            "code": factories.supply_point(company, known, now).code,
            "commodity": "electricity",
            "dso_id": point.dso_id,
            "tariff_group_id": point.tariff_group_id,
            "annual_consumption_kwh": "100",
            "address_street": "Polna",
            "address_building_number": "1",
            "address_postal_code": "00-001",
            "address_city": "Warszawa",
        },
    ).content.decode()
    assert "This customer is already known to us" in taken and known.number not in taken

    page = client.post(f"/partners/offers/{offer.pk}/action/", {"action": "reject"}, follow=True)
    assert "Say why the customer rejected the offer." in page.content.decode()
    client.post(f"/partners/offers/{offer.pk}/action/", {"action": "reject", "reason": "Too dear"})
    offer.refresh_from_db()
    assert offer.status == OfferStatus.REJECTED and offer.reject_reason == "Too dear"


def test_a_business_customer_gets_its_signing_person_on_the_opportunity(company, now, catalogue):
    partner = factories.organisation(company, now, "alfa")
    ola = factories.agent(partner, "ola")
    client = partner_client(ola)
    lead = Lead.objects.create(
        company=company,
        kind="business",
        business_name="Piekarnia Nowak",
        nip="5260250274",
        email="biuro@piekarnia.pl",
        organisation=partner,
        agent=ola.user,
        created_at=now,
    )
    client.post(
        f"/partners/leads/{lead.pk}/convert/",
        {
            "address_street": "Polna",
            "address_building_number": "1",
            "address_postal_code": "30-001",
            "address_city": "Kraków",
        },
    )
    opportunity = Opportunity.objects.get(lead=lead)
    page = client.get(f"/partners/opportunities/{opportunity.pk}/").content.decode()
    assert 'id="signer-card"' in page
    response = client.post(
        f"/partners/opportunities/{opportunity.pk}/signing-person/",
        {"first_name": "Anna", "last_name": "Nowak", "role": "prezes", "phone": "602 345 678"},
    )
    assert response.status_code == 302
    contact = opportunity.customer.contacts.get()
    assert contact.is_signing_person and contact.phone == "+48602345678"
    assert 'id="signer-card"' not in client.get(f"/partners/opportunities/{opportunity.pk}/").content.decode()


def test_list_pages_answer_in_bounded_queries(company, now, catalogue, django_assert_max_num_queries):
    partner = factories.organisation(company, now, "alfa")
    branch = factories.organisation(company, now, "alfa-krk", parent=partner)
    boss = factories.agent(partner, "szef", role="manager")
    sellers = [factories.agent(partner, "ola"), factories.agent(branch, "ewa")]
    for index in range(6):
        seller = sellers[index % 2]
        contract_for(company, now, seller, catalogue, name=f"Klient{index}")
        Lead.objects.create(
            company=company,
            kind="person",
            last_name=f"Lead{index}",
            phone=f"+4860000000{index}",
            organisation=seller.organisation,
            agent=seller.user,
            created_at=now,
        )
    client = partner_client(boss)
    for url in ("/partners/leads/", "/partners/customers/", "/partners/contracts/"):
        with django_assert_max_num_queries(12):
            response = client.get(url)
        assert response.status_code == 200, url
    assert (
        len(re.findall(r'href="/partners/leads/\d+/"', client.get("/partners/leads/").content.decode())) == 6
    )
    contracts = client.get("/partners/contracts/").content.decode()
    assert len(re.findall(r'href="/partners/contracts/\d+/"', contracts)) == 6
    contract = Contract.objects.first()
    for url, most in (
        (f"/partners/customers/{contract.customer_id}/", 14),
        (f"/partners/contracts/{contract.pk}/", 14),
        (f"/partners/opportunities/{contract.opportunity_id}/", 17),
        (f"/partners/offers/{contract.offer_version.offer_id}/", 13),
    ):
        with django_assert_max_num_queries(most):
            assert client.get(url).status_code == 200, url

    request = RequestFactory().get("/partners/")
    request.user = boss.user
    request.agent, request.scope = boss, scope_of_agent(agent=boss)
    with django_assert_max_num_queries(4):  # the home page's panels of this part, however many rows
        contracts_panel, leads_panel = home_panels(request)
    assert len(contracts_panel["rows"]) == 5 and leads_panel["count"] == 6 and len(leads_panel["leads"]) == 5


def test_the_switch_is_told_in_plain_words():
    point = SupplyPoint(code="590543500000000018")
    words = {
        status: switch_words(
            SwitchCase(
                status=status,
                supply_point=point,
                requested_start=START,
                start_date=START if status in ("accepted", "completed") else None,
                rejection_reason="Zły numer licznika" if status == "rejected" else "",
            )
        )
        for status in CaseStatus.values
    }
    assert words["open"].words == "Being prepared by us: preparing the documents"
    assert words["submitted"].words == "Sent to the grid operator; waiting for its answer"
    assert words["accepted"].words == "Accepted by the grid operator: supply from us starts on 04/01/2026"
    assert "Zły numer licznika" in words["rejected"].words and words["rejected"].tone == "warn"
    assert (
        words["completed"].words == "Switched: supply from us since 04/01/2026"
        and words["completed"].tone == "ok"
    )
    assert len({line.words for line in words.values()}) == len(CaseStatus.values)  # each status its own words
    assert all(line.point_code == point.code for line in words.values())
