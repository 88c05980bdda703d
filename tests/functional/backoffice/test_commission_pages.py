"""The back office's commission pages over HTTP: the statements of a month with their totals, settling a
month (refused before it ends; twice changes nothing), a statement's lines with its PDF and XLSX, the payout
export (a CSV or XLSX file; the statements in it paid out, once), bounded queries, and the lines no one
crosses: a role without ``commissions.manage`` gets 403, another company's staff 404, an agent is no staff."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader

from kilowatt.commissions.models import CommissionPayout, CommissionStatement, StatementLine, StatementStatus
from kilowatt.commissions.settlement import statement_accept
from kilowatt.core.clock import WARSAW, FixedClock
from kilowatt.core.models import Role
from kilowatt.core.operations import outbox_dispatch
from kilowatt.sales.lifecycle.terminations import contract_terminate
from tests.conftest import make_staff
from tests.integration.commissions import builders

pytestmark = pytest.mark.django_db
D = Decimal
MAY = FixedClock(datetime(2026, 5, 4, 10, 0, tzinfo=WARSAW))


@pytest.fixture(autouse=True)
def may(monkeypatch):
    monkeypatch.setattr("kilowatt.interfaces.backoffice.commissions.system_clock", MAY)


@pytest.fixture
def world(company, now):
    return builders.world(company, now)


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager(company):
    return client_of(make_staff("sandra", company, Role.SALES_MANAGER))


def test_the_month_page_lists_statements_with_totals_and_settles_april(
    world, manager, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        page = manager.get("/commissions/?month=2026-03")
    text = page.content.decode()
    assert page.status_code == 200
    assert world.alpha_march.number in text and world.beta_march.number in text
    # March: alpha 80.54, beta 13.65 (see the statement tests): 94.19 in all, the sum of March's entries.
    assert 'id="statements-total">94.19 PLN' in text and 'id="accrued">94.19 PLN' in text
    assert "Every entry until the month's end is settled." in text

    april = manager.get("/commissions/").content.decode()  # the month before today's: April
    assert "Partner alpha" in april and "40.04 PLN" in april  # the start of supply, not settled yet
    response = manager.post("/commissions/settle/", {"month": "2026-04"}, follow=True)
    text = response.content.decode()
    assert "2026-04 settled: 1 statement." in text
    statement = CommissionStatement.objects.get(period_start="2026-04-01")
    assert statement.total == D("40.04") and statement.number in text
    manager.post("/commissions/settle/", {"month": "2026-04"})  # again: nothing changes
    assert CommissionStatement.objects.count() == 3 and StatementLine.objects.count() == 6 + 2 + 3

    refused = manager.post("/commissions/settle/", {"month": "2026-05"}, follow=True).content.decode()
    assert "2026-05 has not ended yet" in refused
    assert not CommissionStatement.objects.filter(period_start="2026-05-01").exists()


def test_a_statement_shows_its_lines_per_agent_and_downloads_as_pdf_and_xlsx(world, manager):
    statement = world.alpha_march
    text = manager.get(f"/commissions/statements/{statement.pk}/").content.decode()
    assert (
        "Subtotal: Anna" in text
        and "38.66 PLN" in text
        and "Subtotal: Bartek" in text
        and "25.77 PLN" in text
    )
    assert "The organisation&#x27;s own part" in text and "80.54 PLN" in text
    pdf = manager.get(f"/commissions/statements/{statement.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and "attachment" in pdf["Content-Disposition"]
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert statement.number in pdf_text and "Subtotal: Bartek" in pdf_text
    workbook = load_workbook(io.BytesIO(manager.get(f"/commissions/statements/{statement.pk}/xlsx/").content))
    totals = [D(str(row[7])) for row in workbook.active.iter_rows(values_only=True) if row[0] == "Total"]
    assert totals == [D("80.54")]


def test_the_payout_export_downloads_the_accepted_statements_once(world, manager):
    statement_accept(statement=world.alpha_march, actor=world.marta, now=MAY.now())
    response = manager.post("/commissions/payout/", {"month": "2026-03", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode()), delimiter=";"))
    assert rows == [
        ["organisation", "nip", "iban", "statement", "amount"],
        ["Partner alpha", "", "PL61109010140000071219812874", world.alpha_march.number, "80.54"],
    ]
    assert CommissionStatement.objects.get(pk=world.alpha_march.pk).status == StatementStatus.PAID_OUT
    assert CommissionStatement.objects.get(pk=world.beta_march.pk).status == StatementStatus.ISSUED
    again = manager.post("/commissions/payout/", {"month": "2026-03", "format": "xlsx"}, follow=True)
    assert "No accepted statement is waiting for payout." in again.content.decode()
    statement_accept(statement=world.beta_march, actor=world.bogna, now=MAY.now())
    response = manager.post("/commissions/payout/", {"month": "2026-03", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[2]][3:] == [world.beta_march.number, 13.65]
    assert manager.post("/commissions/payout/", {"month": "2026-03", "format": "pdf"}).status_code == 400
    # Each export is kept with its file: listed on the page and downloaded again byte for byte.
    first, second = CommissionPayout.objects.order_by("created_at", "pk")
    assert list(first.statements.all()) == [world.alpha_march] and second.total == Decimal("13.65")
    page = manager.get("/commissions/?month=2026-03").content.decode()
    assert second.file_name in page and first.file_name in page
    again = manager.get(f"/commissions/payouts/{second.pk}/")
    assert again.status_code == 200 and again.content == response.content


def test_the_payout_nets_a_clawback_and_the_page_says_what_is_carried(world, manager, now):
    # Alpha's March statement is paid out; the sale is terminated in April: April's statement nets -80.54.
    statement_accept(statement=world.alpha_march, actor=world.marta, now=MAY.now())
    manager.post("/commissions/payout/", {"month": "2026-03", "format": "csv"})
    contract_terminate(contract=world.sale.contract, initiated_by="customer", received_on=date(2026, 4, 5),
                       reason="", actor=None, now=now)  # fmt: skip
    outbox_dispatch(now=now)
    manager.post("/commissions/settle/", {"month": "2026-04"})
    april = CommissionStatement.objects.get(period_start="2026-04-01", organisation=world.alpha)
    assert april.total == D("-80.54")
    statement_accept(statement=april, actor=world.marta, now=MAY.now())
    statement_accept(statement=world.beta_march, actor=world.bogna, now=MAY.now())
    text = manager.get("/commissions/?month=2026-04").content.decode()
    balances = text[text.index('id="payout-balances"') :]
    assert "Partner alpha" in balances and april.number in balances and "-80.54 PLN" in balances
    assert "Nothing to pay: carried to the next payout" in balances
    assert "Partner beta" in balances and "13.65 PLN" in balances and 'id="payable">1<' in text
    # The export of April pays beta (March, before it) and nothing to alpha, which the next page says.
    response = manager.post("/commissions/payout/", {"month": "2026-04", "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode()), delimiter=";"))
    assert [row[0] for row in rows[1:]] == ["Partner beta"]
    text = manager.get("/commissions/?month=2026-04").content.decode()
    assert "carried to the next payout: Partner alpha: -80.54 PLN (" in text
    assert CommissionStatement.objects.get(pk=april.pk).status == StatementStatus.ACCEPTED
    assert 'id="payable">0<' in text and "disabled>Export the payouts of this month" in text
    refused = manager.post("/commissions/payout/", {"month": "2026-04", "format": "csv"}, follow=True)
    assert "Nothing to pay out" in refused.content.decode() and april.number in refused.content.decode()


def test_no_one_else_gets_in(world, company, other_company, rival_user):
    statement = world.alpha_march
    urls = [
        f"/commissions/statements/{statement.pk}/",
        f"/commissions/statements/{statement.pk}/pdf/",
        f"/commissions/statements/{statement.pk}/xlsx/",
    ]
    rival = client_of(rival_user)  # an administrator of another company
    payout = CommissionPayout.objects.create(
        company=company,
        file_name="x.csv",
        content_type="text/csv",
        content=b"x",
        total=1,
        created_at=MAY.now(),
    )
    for url in [*urls, f"/commissions/payouts/{payout.pk}/"]:
        assert rival.get(url).status_code == 404, url
    assert "Partner alpha" not in rival.get("/commissions/?month=2026-03").content.decode()
    rival.post("/commissions/settle/", {"month": "2026-04"})
    rival.post("/commissions/payout/", {"month": "2026-03", "format": "csv"})
    assert not CommissionStatement.objects.filter(company=other_company).exists()
    back_office = client_of(make_staff("bea", company, Role.BACK_OFFICE))  # no commissions.manage
    for url in ["/commissions/", *urls]:
        assert back_office.get(url).status_code == 403, url
    assert back_office.post("/commissions/settle/", {"month": "2026-04"}).status_code == 403
    agent = client_of(world.marta)  # a partner's manager is not staff: sent to the partner portal
    assert agent.get("/commissions/").status_code == 302
    assert not CommissionStatement.objects.filter(period_start="2026-04-01").exists()


def _scheme_form(company, shares: list[tuple[str, str]], basis: str = "mwh_contracted") -> dict:
    data = {
        "company": company.pk, "code": "std", "name": "Standard", "basis": basis, "business_share": "80",
        "clawback_months": "12", "valid_from": "2026-01-01", "valid_to": "",
        "rates-TOTAL_FORMS": "1", "rates-INITIAL_FORMS": "0", "rates-MIN_NUM_FORMS": "0",
        "rates-MAX_NUM_FORMS": "1000", "rates-0-rate": "45.50",
        "stages-TOTAL_FORMS": str(len(shares)), "stages-INITIAL_FORMS": "0", "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for index, (trigger, share) in enumerate(shares):
        data |= {f"stages-{index}-trigger": trigger, f"stages-{index}-share": share,
                 f"stages-{index}-paid_invoices": "2" if trigger == "invoices_paid" else "0"}  # fmt: skip
    return data


def test_the_admin_refuses_a_scheme_whose_stages_do_not_sum_to_100(company):
    from django.contrib.auth import get_user_model

    from kilowatt.commissions.models import CommissionScheme

    admin = client_of(get_user_model().objects.create_superuser("root", "root@example.pl", "s3cret-pass!"))
    url = "/admin/commissions/commissionscheme/add/"
    refused = admin.post(url, _scheme_form(company, [("signed", "30"), ("supply_started", "40")]))
    assert refused.status_code == 200 and "sum to 70.00 %" in refused.content.decode()
    billed = admin.post(url, _scheme_form(company, [("signed", "100")], basis="percent_billed"))
    assert billed.status_code == 200 and "remove its payout stages" in billed.content.decode()
    assert not CommissionScheme.objects.exists()
    saved = admin.post(
        url, _scheme_form(company, [("signed", "30"), ("supply_started", "40"), ("invoices_paid", "30")])
    )
    assert saved.status_code == 302
    scheme = CommissionScheme.objects.get()
    assert sorted(scheme.stages.values_list("share", flat=True)) == [D("30"), D("30"), D("40")]
    assert scheme.rates.get().rate == D("45.50")
