"""The channels' admin: an organisation created there gets its path, moving it under another parent
refreshes its path and its branches', a branch of its own branch and a parent of another channel are
refused; an agent is added through agent_add (staff never); a target has exactly one holder."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from kilowatt.catalog.models import Product
from kilowatt.channels.models import Agent, ChannelKind, Organisation, SalesChannel, SalesTarget
from kilowatt.core.models import Role
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def root() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", password="s3cret-pass!"))
    return client


def organisation_form(company, channel, *, code, parent=None, products=(), kinds='["energy"]', **extra):
    data = {
        "company": company.pk, "channel": channel.pk, "parent": parent.pk if parent else "", "code": code,
        "name": f"Partner {code}", "nip": "", "email": f"{code}@partner.example", "bank_account": "",
        "products": [p.pk for p in products], "product_kinds": kinds, "is_active": "on",
    }  # fmt: skip
    data.update(extra)
    return data


def test_an_organisation_made_in_admin_has_its_path_and_moving_it_refreshes_the_branches(company, now, root):
    channel = factories.sales_channel(company)
    product = Product.objects.create(company=company, code="prad", name="Prąd", commodity="electricity")
    response = root.post(
        "/admin/channels/organisation/add/",
        organisation_form(company, channel, code="alfa", products=[product]),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    alfa = Organisation.objects.get(code="alfa")
    assert alfa.path == f"/{alfa.pk}/" and alfa.product_kinds == ["energy"]
    assert list(alfa.products.all()) == [product] and alfa.created_at is not None
    root.post(
        "/admin/channels/organisation/add/", organisation_form(company, channel, code="krakow", parent=alfa)
    )
    krakow = Organisation.objects.get(code="krakow")
    nowa_huta = factories.organisation(company, now, "nowa-huta", parent=krakow)
    beta = factories.organisation(company, now, "beta")
    assert krakow.path == f"/{alfa.pk}/{krakow.pk}/" and nowa_huta.path == f"{krakow.path}{nowa_huta.pk}/"

    # Kraków moves under beta: its path and its branch's follow.
    response = root.post(
        f"/admin/channels/organisation/{krakow.pk}/change/",
        organisation_form(company, channel, code="krakow", parent=beta, kinds="[]"),
    )
    assert response.status_code == 302
    krakow.refresh_from_db()
    nowa_huta.refresh_from_db()
    assert krakow.path == f"/{beta.pk}/{krakow.pk}/"
    assert nowa_huta.path == f"/{beta.pk}/{krakow.pk}/{nowa_huta.pk}/"

    # Beta under its own branch's branch: refused, nothing moves.
    response = root.post(
        f"/admin/channels/organisation/{beta.pk}/change/",
        organisation_form(company, channel, code="beta", parent=nowa_huta),
    )
    assert response.status_code == 200 and "branch of its own branch" in response.content.decode()
    beta.refresh_from_db()
    assert beta.path == f"/{beta.pk}/" and beta.parent is None


def test_admin_refuses_a_parent_of_another_channel_and_unknown_product_kinds(company, now, root):
    channel = factories.sales_channel(company)
    hotline = SalesChannel.objects.create(
        company=company, code="hotline", name="Hotline", kind=ChannelKind.HOTLINE
    )
    alfa = factories.organisation(company, now, "alfa")
    page = root.post(
        "/admin/channels/organisation/add/", organisation_form(company, hotline, code="cc", parent=alfa)
    ).content.decode()
    assert "same channel" in page
    page = root.post(
        "/admin/channels/organisation/add/",
        organisation_form(company, channel, code="gamma", kinds='["toys"]'),
    ).content.decode()
    assert "Unknown product kind: toys" in page
    assert not Organisation.objects.filter(code__in=["cc", "gamma"]).exists()


def test_agents_are_added_through_agent_add_and_never_staff(company, now, root):
    alfa = factories.organisation(company, now, "alfa")
    staff = make_staff("anna", company, Role.BACK_OFFICE)
    person = get_user_model().objects.create_user("ala", password="s3cret-pass!")
    data = {"organisation": alfa.pk, "code": "A1", "role": "agent", "phone": "", "is_active": "on"}
    page = root.post("/admin/channels/agent/add/", {**data, "user": staff.pk}).content.decode()
    assert "works in the back office" in page and not Agent.objects.exists()
    assert root.post("/admin/channels/agent/add/", {**data, "user": person.pk}).status_code == 302
    agent = Agent.objects.get()
    assert (agent.user, agent.organisation, agent.code, agent.role) == (person, alfa, "A1", "agent")
    changed = root.post(
        f"/admin/channels/agent/{agent.pk}/change/", {**data, "user": person.pk, "role": "manager"}
    )
    assert changed.status_code == 302
    agent.refresh_from_db()
    assert agent.role == "manager"


def test_a_target_in_admin_has_exactly_one_holder_of_its_company(company, other_company, now, root):
    alfa = factories.organisation(company, now, "alfa")
    stranger = factories.organisation(other_company, now, "obcy")
    agent = factories.agent(alfa, "ala")
    data = {
        "company": company.pk, "channel": "", "organisation": alfa.pk, "agent": "",
        "period_start": date(2026, 3, 1), "period_end": date(2026, 4, 1), "metric": "points",
        "commodity": "", "product": "", "goal": "10",
    }  # fmt: skip
    assert (
        "one sales channel, one organisation or one agent"
        in root.post("/admin/channels/salestarget/add/", {**data, "agent": agent.pk}).content.decode()
    )
    assert (
        "another company"
        in root.post(
            "/admin/channels/salestarget/add/", {**data, "organisation": stranger.pk}
        ).content.decode()
    )
    assert root.post("/admin/channels/salestarget/add/", data).status_code == 302
    assert SalesTarget.objects.get().organisation == alfa
    assert root.get("/admin/channels/salestarget/").status_code == 200
    assert root.get("/admin/channels/organisation/").status_code == 200
    assert root.get("/admin/channels/saleschannel/").status_code == 200
    assert root.get("/admin/sales/gift/add/").status_code == 200
