"""The partner portal's commission pages over HTTP: a plain agent sees their own entries and their own lines
of the organisation's statement, a manager everything of the organisation; the home panel; a manager
accepts a statement (POST with its CSRF token); list pages in bounded queries; and the organisation
boundary: every route of ``partners.commission_urls`` is walked with another organisation's statement and
answers 404 (a route added later without its rule fails here)."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import pytest
from django.test import Client, RequestFactory
from django.urls import URLPattern, reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from kilowatt.channels.queries import agent_of_user, scope_of_agent
from kilowatt.commissions.models import CommissionStatement, StatementStatus
from kilowatt.core.clock import WARSAW, FixedClock
from kilowatt.interfaces.partners import commission_urls
from kilowatt.interfaces.partners.commission_pages import home_panels
from tests.integration.commissions import builders

pytestmark = pytest.mark.django_db
D = Decimal
MID_APRIL = FixedClock(datetime(2026, 4, 15, 10, 0, tzinfo=WARSAW))


@pytest.fixture(autouse=True)
def april(monkeypatch):
    monkeypatch.setattr("kilowatt.interfaces.partners.commission_pages.system_clock", MID_APRIL)


@pytest.fixture
def world(company, now):
    return builders.world(company, now)


def client_of(user, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def test_a_plain_agent_sees_only_their_own_entries(world):
    page = client_of(world.anna).get("/partners/commissions/?month=2026-03")
    text = page.content.decode()
    assert page.status_code == 200
    # Anna's signature pieces: 48 % of 30.03 and of 50.51 → 14.41 and 24.25 (see the accrual tests).
    assert "14.41 PLN" in text and "24.25 PLN" in text and 'id="total-net">38.66 PLN' in text
    assert "9.61" not in text and "6.01" not in text  # bartek's piece and the own part
    assert world.beta_sale.contract.number not in text
    april = client_of(world.anna).get("/partners/commissions/").content.decode()  # this month: April
    assert 'id="total-net">19.22 PLN' in april and "14.41" not in april


def test_a_manager_sees_the_organisations_entries_and_the_home_panel(world):
    text = client_of(world.marta).get("/partners/commissions/?month=2026-03").content.decode()
    assert 'id="total-net">80.54 PLN' in text and "own part" in text and "Bartek" in text
    assert world.beta_sale.contract.number not in text
    home = client_of(world.marta).get("/partners/").content.decode()
    # April so far: the start of supply of point 1, 40.04. Stages to come: point 1's last 30 % (70.07 released
    # for 70 % → 30.03), point 2's 40 % and 30 % (50.51 for 30 % → 67.35 and 50.51): 147.89.
    assert 'id="commission-accrued">40.04 PLN' in home
    assert "3 payout stages to come, about 147.89 PLN" in home
    assert '<span class="unread">1</span> statement waiting for your acceptance' in home
    anna = client_of(world.anna).get("/partners/").content.decode()
    # Anna: 19.22 in April; 33.63 released for 70 % → 14.41, 24.25 for 30 % → 32.33 and 24.25: 70.99.
    assert 'id="commission-accrued">19.22 PLN' in anna and "about 70.99 PLN" in anna
    assert "waiting for your acceptance" not in anna


def test_statements_a_plain_agent_gets_their_lines_a_manager_the_whole_and_accepts(world):
    statement = world.alpha_march
    anna = client_of(world.anna)
    listing = anna.get("/partners/commissions/statements/").content.decode()
    assert statement.number in listing and "38.66 PLN" in listing and world.beta_march.number not in listing
    detail = anna.get(f"/partners/commissions/statements/{statement.pk}/").content.decode()
    assert "Subtotal: Anna" in detail and "Bartek" not in detail and "Total for Anna" in detail
    assert 'id="accept"' not in detail
    pdf = anna.get(f"/partners/commissions/statements/{statement.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Extract for Anna" in text and "Bartek" not in text and "38.66" in text
    sheet = load_workbook(
        io.BytesIO(anna.get(f"/partners/commissions/statements/{statement.pk}/xlsx/").content)
    ).active
    labels = {row[0] for row in sheet.iter_rows(values_only=True)}
    assert "Subtotal: Anna" in labels and "Subtotal: Bartek" not in labels
    assert anna.post(f"/partners/commissions/statements/{statement.pk}/accept/").status_code == 403

    marta = client_of(world.marta, enforce_csrf_checks=True)
    detail = marta.get(f"/partners/commissions/statements/{statement.pk}/")
    text = detail.content.decode()
    assert (
        "Subtotal: Anna" in text
        and "Subtotal: Bartek" in text
        and "80.54 PLN" in text
        and 'id="accept"' in text
    )
    url = f"/partners/commissions/statements/{statement.pk}/accept/"
    assert marta.post(url).status_code == 403  # no CSRF token
    assert marta.get(url).status_code == 405
    response = marta.post(url, {"csrfmiddlewaretoken": detail.cookies["csrftoken"].value})
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.status == StatementStatus.ACCEPTED and statement.accepted_by == world.marta
    again = marta.post(url, {"csrfmiddlewaretoken": detail.cookies["csrftoken"].value}, follow=True)
    assert "already accepted" in again.content.decode()


def test_a_plain_agent_without_lines_of_theirs_sees_an_empty_extract_not_the_statement(world):
    from tests import factories

    celina = client_of(factories.agent(world.alpha, "celina").user)  # sold nothing in March
    statement = world.alpha_march
    detail = celina.get(f"/partners/commissions/statements/{statement.pk}/").content.decode()
    assert "Your lines of your organisation" in detail and "Total for Celina" in detail
    assert "Subtotal: Anna" not in detail and "80.54" not in detail
    assert "Agents' commission" not in detail and "Agents&#x27; commission" not in detail
    pdf = celina.get(f"/partners/commissions/statements/{statement.pk}/pdf/")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Extract for Celina" in text and "80.54" not in text


def _routes() -> list[str]:
    names = [p.name for p in commission_urls.urlpatterns if isinstance(p, URLPattern)]
    assert len(names) == 6, "a commission route was added: give it its boundary rule below"
    return names


@pytest.mark.parametrize("who", ["olaf", "bogna"])
def test_another_organisations_statement_is_not_found_on_any_route(world, who):
    client = client_of(getattr(world, who))
    statement = world.alpha_march
    for name in _routes():
        if "statement_id" not in str(next(p for p in commission_urls.urlpatterns if p.name == name).pattern):
            continue
        url = reverse(f"partners:{name}", args=[statement.pk])
        response = client.post(url) if name.endswith("accept") else client.get(url)
        assert response.status_code == 404, url
    entries = client.get("/partners/commissions/?month=2026-03").content.decode()
    statements = client.get("/partners/commissions/statements/").content.decode()
    assert world.sale.contract.number not in entries and statement.number not in statements
    assert world.beta_march.number in statements
    assert CommissionStatement.objects.get(pk=statement.pk).status == StatementStatus.ISSUED


def test_a_branch_manager_does_not_see_the_parent_but_the_parent_manager_sees_the_branch(company, now, world):
    from tests import factories

    branch = factories.organisation(company, now, "alpha-krk", parent=world.alpha)
    branch_boss = factories.agent(branch, "borys", role="manager").user
    price_list = builders.prices(company)
    sold = builders.sale(company, now, price_list, organisation=branch, participants=[(branch_boss, "100")],
                         annuals=["1000"])  # fmt: skip
    builders.sign(sold, now)
    text = client_of(branch_boss).get("/partners/commissions/?month=2026-03").content.decode()
    assert sold.contract.number in text and world.sale.contract.number not in text
    response = client_of(branch_boss).get(f"/partners/commissions/statements/{world.alpha_march.pk}/")
    assert response.status_code == 404
    parent = client_of(world.marta).get("/partners/commissions/?month=2026-03").content.decode()
    assert sold.contract.number in parent and world.sale.contract.number in parent


def test_list_pages_and_the_panel_answer_in_bounded_queries(
    company, now, world, django_assert_max_num_queries
):
    for _ in range(4):  # more sales: the number of queries does not grow with them
        more = builders.sale(company, now, builders.prices(company), organisation=world.alpha,
                             participants=[(world.anna, "50"), (world.bartek, "50")])  # fmt: skip
        builders.sign(more, now)
    for user in (world.anna, world.marta):
        client = client_of(user)
        for url in ("/partners/commissions/?month=2026-03", "/partners/commissions/statements/"):
            with django_assert_max_num_queries(12):
                assert client.get(url).status_code == 200, url
        with django_assert_max_num_queries(12):
            assert client.get(f"/partners/commissions/statements/{world.alpha_march.pk}/").status_code == 200
    request = RequestFactory().get("/partners/")
    request.agent = agent_of_user(user=world.marta)
    request.scope = scope_of_agent(agent=request.agent)
    with django_assert_max_num_queries(4):
        [panel] = home_panels(request)
    assert panel["pending_count"] == 3 + 4 * 4  # each new sale: 2 points × the 2 stages after the signature
