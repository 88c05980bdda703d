"""The lines around the partner portal's sales pages, each tried and each holding: another organisation's
records are not found on any route (every route of ``partners.sales_urls`` is walked, so a route added later
without a rule fails here), a plain agent sees only their own records, a manager sees the branches', staff
are not agents, agents are not staff (back office and API), an inactive organisation or one under an inactive
organisation signs nobody in, and a POST needs its CSRF token."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from kilowatt.core.models import Role
from kilowatt.interfaces.partners import sales_urls
from kilowatt.sales.models import Lead
from kilowatt.sales.signatures import signature_request_start
from tests import factories
from tests.conftest import make_staff
from tests.functional.partners.test_sales_pages import catalogue, contract_for, fixed_clock, partner_client  # noqa: F401

pytestmark = pytest.mark.django_db


def _records(company, now, agent, catalogue, name):  # noqa: F811
    contract = contract_for(company, now, agent, catalogue, name=name)
    lead = Lead.objects.create(
        company=company,
        kind="person",
        last_name=f"Lead{name}",
        email=f"{name.lower()}@lead.example",
        organisation=agent.organisation,
        agent=agent.user,
        created_at=now,
    )
    offer = contract.offer_version.offer
    return {
        "name": name,
        "lead_id": lead.pk,
        "customer_id": contract.customer_id,
        "opportunity_id": contract.opportunity_id,
        "offer_id": offer.pk,
        "version": 1,
        "contract_id": contract.pk,
        "document_id": contract.documents.get().pk,
        "contract": contract,
    }


@pytest.fixture
def world(company, now, catalogue):  # noqa: F811
    """Organisation A (manager, two agents) with branch A1 (an agent), organisation B (an agent); a lead, a
    customer, an opportunity, an offer and a contract for each agent."""
    alfa = factories.organisation(company, now, "alfa")
    alfa_krk = factories.organisation(company, now, "alfa-krk", parent=alfa)
    beta = factories.organisation(company, now, "beta")
    agents = {
        "boss": factories.agent(alfa, "szef", role="manager"),
        "ola": factories.agent(alfa, "ola"),
        "ala": factories.agent(alfa, "ala"),
        "ewa": factories.agent(alfa_krk, "ewa"),
        "bob": factories.agent(beta, "bob"),
    }
    data = {
        key: _records(company, now, agents[key], catalogue, name)
        for key, name in (
            ("ola", "Olszewski"),
            ("ala", "Alanowski"),
            ("ewa", "Ewertowski"),
            ("bob", "Bobrowski"),
        )
    }
    return {"organisations": (alfa, alfa_krk, beta), "agents": agents, "data": data}


def _routes() -> list[URLPattern]:
    return [p for p in sales_urls.urlpatterns if isinstance(p, URLPattern)]


def _url(pattern: URLPattern, records: dict) -> str:
    names = list(pattern.pattern.converters)
    unknown = [name for name in names if name not in records]
    assert not unknown, f"route {pattern.name} takes {unknown}: teach the boundary test its records"
    return reverse(f"partners:{pattern.name}", kwargs={name: records[name] for name in names})


def test_every_route_hides_another_organisations_records(world):
    assert len(_routes()) >= 17
    ola = partner_client(world["agents"]["ola"])
    theirs = world["data"]["bob"]
    for pattern in _routes():
        url = _url(pattern, theirs)
        if not pattern.pattern.converters:
            page = ola.get(url)
            assert page.status_code == 200, url
            assert theirs["name"] not in page.content.decode() and theirs["contract"].number not in (
                page.content.decode()
            ), url
            continue
        assert ola.get(url).status_code in (404, 405), url  # 405: the route only takes a POST
        assert ola.post(url, {"action": "accept", "supply_point": 1, "code": "1"}).status_code == 404, url
    # and nothing was changed through them
    theirs["contract"].refresh_from_db()
    assert theirs["contract"].status == "draft" and not theirs["contract"].signature_requests.exists()


def test_an_id_of_another_record_under_ones_own_is_not_found(world, now):
    mine, theirs = world["data"]["ola"], world["data"]["bob"]
    ola = partner_client(world["agents"]["ola"])
    contract = mine["contract"]
    assert ola.get(f"/partners/contracts/{contract.pk}/documents/{theirs['document_id']}/").status_code == 404
    assert ola.get(f"/partners/offers/{mine['offer_id']}/versions/99/pdf/").status_code == 404
    request = signature_request_start(contract=theirs["contract"], now=now)
    party = request.parties.get()
    response = ola.post(
        f"/partners/contracts/{contract.pk}/signature/", {"action": "confirm", "party": party.pk, "code": "1"}
    )
    assert response.status_code == 404
    point_of_theirs = theirs["contract"].supply_point_links.get().supply_point_id
    response = ola.post(
        f"/partners/opportunities/{mine['opportunity_id']}/supply-points/", {"supply_point": point_of_theirs}
    )
    assert response.status_code == 404


def _detail_urls(records: dict) -> list[str]:
    return [
        f"/partners/leads/{records['lead_id']}/",
        f"/partners/customers/{records['customer_id']}/",
        f"/partners/opportunities/{records['opportunity_id']}/",
        f"/partners/offers/{records['offer_id']}/",
        f"/partners/contracts/{records['contract_id']}/",
    ]


def test_a_plain_agent_sees_only_their_own(world):
    data = world["data"]
    ola = partner_client(world["agents"]["ola"])
    for url in _detail_urls(data["ola"]):
        assert ola.get(url).status_code == 200, url
    for colleague in ("ala", "ewa"):  # the colleague in the organisation, the agent of its branch
        for url in _detail_urls(data[colleague]):
            assert ola.get(url).status_code == 404, url
    for url in ("/partners/leads/", "/partners/customers/", "/partners/contracts/", "/partners/"):
        page = ola.get(url).content.decode()
        assert "Alanowski" not in page and data["ala"]["contract"].number not in page, url
    ewa = partner_client(world["agents"]["ewa"])
    for url in _detail_urls(data["ola"]):
        assert ewa.get(url).status_code == 404, url


def test_the_manager_sees_the_organisation_and_its_branch(world):
    data = world["data"]
    boss = partner_client(world["agents"]["boss"])
    for key in ("ola", "ala", "ewa"):
        for url in _detail_urls(data[key]):
            assert boss.get(url).status_code == 200, url
    for url in _detail_urls(data["bob"]):
        assert boss.get(url).status_code == 404, url
    contracts = boss.get("/partners/contracts/").content.decode()
    assert all(data[key]["contract"].number in contracts for key in ("ola", "ala", "ewa"))
    assert data["bob"]["contract"].number not in contracts
    assert "LeadEwertowski" in boss.get("/partners/leads/").content.decode()


def test_staff_are_not_agents_and_agents_are_not_staff(world, company):
    staff = Client()
    staff.force_login(make_staff("anna", company, Role.ADMIN))
    for url in (
        "/partners/",
        "/partners/leads/",
        f"/partners/contracts/{world['data']['ola']['contract_id']}/",
    ):
        response = staff.get(url)
        assert response.status_code == 403, url
        assert "does not sell for any partner organisation" in response.content.decode()

    ola = partner_client(world["agents"]["ola"])
    contract_id = world["data"]["ola"]["contract_id"]
    for url in ("/", "/lists/leads/", f"/contracts/{contract_id}/"):
        response = ola.get(url)
        assert response.status_code == 302 and response["Location"] == "/partners/", url
    for url in ("/api/v1/customers", f"/api/v1/contracts/{contract_id}", "/api/v1/leads"):
        assert ola.get(url).status_code in (401, 403), url
    assert ola.post("/api/v1/leads", {}, content_type="application/json").status_code in (401, 403)

    anonymous = Client()
    response = anonymous.get("/partners/leads/")
    assert response.status_code == 302 and response["Location"].startswith("/partners/login/")


def test_an_inactive_organisation_or_one_above_it_signs_nobody_in(world):
    alfa, alfa_krk, beta = world["organisations"]
    agents = world["agents"]
    beta.is_active = False
    beta.save(update_fields=["is_active"])
    bob = partner_client(agents["bob"])
    response = bob.get("/partners/leads/")
    assert response.status_code == 403 and "does not sell" in response.content.decode()
    assert bob.get(f"/partners/contracts/{world['data']['bob']['contract_id']}/").status_code == 403

    ewa = partner_client(agents["ewa"])
    assert ewa.get("/partners/leads/").status_code == 200
    alfa.is_active = False  # the organisation above the branch
    alfa.save(update_fields=["is_active"])
    assert ewa.get("/partners/leads/").status_code == 403
    assert (
        ewa.post(
            "/partners/leads/new/", {"kind": "person", "last_name": "X", "phone": "601000111"}
        ).status_code
        == 403
    )
    assert not Lead.objects.filter(last_name="X").exists()

    agents["ola"].is_active = False
    agents["ola"].save(update_fields=["is_active"])
    alfa.is_active = True
    alfa.save(update_fields=["is_active"])
    assert partner_client(agents["ola"]).get("/partners/").status_code == 403


def test_a_post_needs_its_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["agents"]["ola"].user)
    response = client.post("/partners/leads/new/", {"kind": "person", "last_name": "Y", "phone": "601000222"})
    assert response.status_code == 403 and not Lead.objects.filter(last_name="Y").exists()


def test_a_manager_converting_an_agents_lead_leaves_the_sale_with_the_agent(world):
    ewa = world["agents"]["ewa"]
    lead = Lead.objects.create(
        company=ewa.organisation.company,
        kind="person",
        first_name="Zofia",
        last_name="Zielińska",
        email="zofia@lead.example",
        organisation=ewa.organisation,
        agent=ewa.user,
        created_at=world["data"]["ewa"]["contract"].created_at,
    )
    boss = partner_client(world["agents"]["boss"])
    address = {
        "address_street": "Długa",
        "address_building_number": "5",
        "address_postal_code": "31-147",
        "address_city": "Kraków",
    }
    response = boss.post(reverse("partners:lead_convert", args=[lead.pk]), address)
    assert response.status_code == 302, response.content.decode()[:2000]
    opportunity = lead.opportunities.get()
    assert opportunity.owner == ewa.user and opportunity.organisation == ewa.organisation
    assert opportunity.participants.get().user == ewa.user


def test_a_shared_customers_points_sold_by_another_organisation_stay_out_of_sight(world, company, now):
    from kilowatt.sales.models import Contract, ContractSupplyPoint

    ola = world["data"]["ola"]
    customer = ola["contract"].customer
    # The same customer also buys, through organisation B, for a second supply point.
    second = factories.supply_point(company, customer, now)
    b_contract = Contract.objects.get(pk=world["data"]["bob"]["contract_id"])
    ContractSupplyPoint.objects.create(
        contract=b_contract, supply_point=second, valid_from=b_contract.start_date
    )
    client = partner_client(world["agents"]["ola"])
    page = client.get(reverse("partners:opportunity", args=[ola["opportunity_id"]])).content.decode()
    assert second.code not in page
    added = client.post(
        reverse("partners:opportunity_point_add", args=[ola["opportunity_id"]]), {"supply_point": second.pk}
    )
    assert added.status_code == 404
    assert not ola["contract"].opportunity.supply_points.filter(pk=second.pk).exists()
