"""Billing pages: runs, findings and actions, invoices with PDF and JSON, the 360° panel; every company
and role boundary is tried and must hold."""

from __future__ import annotations

import json
from datetime import date

import pytest

from kilowatt.billing.models import Invoice, ItemStatus
from kilowatt.billing.runs import billing_run_create, billing_run_execute
from kilowatt.core.models import Role
from kilowatt.metering.operations import meter_read_record
from tests.billing_scenarios import HOUSEHOLD, billable_contract, price_list
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
READS = {"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "1300")]}


@pytest.fixture
def billing_client(client, company):
    client.force_login(make_staff("bill", company, Role.BILLING))
    return client


@pytest.fixture
def billed(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    good = [billable_contract(company, now, prices=prices, reads=READS) for _ in range(3)]
    held = billable_contract(
        company, now, prices=prices, reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "900")]}
    )
    run = billing_run_create(company=company, month=date(2026, 2, 1), issue_date=date(2026, 3, 2), now=now)
    billing_run_execute(run=run, now=now)
    return run, good, held


def test_starting_a_run_from_the_page_bills_the_month(billing_client, company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    scenario = billable_contract(company, now, prices=prices, reads=READS)
    response = billing_client.post("/billing/runs/", {"month": "2026-02", "issue_date": "2026-03-02"})
    assert response.status_code == 302
    page = billing_client.get(response["Location"]).content.decode()
    assert "1 of 1 contracts done" in page and Invoice.objects.get(contract=scenario.contract).number in page


def test_bad_month_and_issue_date_are_named(billing_client):
    page = billing_client.post(
        "/billing/runs/", {"month": "2026-13", "issue_date": "tomorrow"}
    ).content.decode()
    assert "Choose the month to bill" in page and "Enter the issue date" in page


def test_run_page_shows_findings_and_bounded_queries(billing_client, billed, django_assert_max_num_queries):
    run, _, held = billed
    with django_assert_max_num_queries(12):
        page = billing_client.get(f"/billing/runs/{run.pk}/").content.decode()
    assert held.contract.number in page and "failed validation" in page
    with django_assert_max_num_queries(12):
        held_only = billing_client.get(f"/billing/runs/{run.pk}/?status=held").content.decode()
    assert held_only.count('<tr id="item-') == 1


def test_rerate_after_the_read_is_corrected_issues_the_held_contract(billing_client, billed, company, now):
    run, _, held = billed
    item = run.items.get(contract=held.contract)
    bad = held.registers["all"].reads.get(read_on=date(2026, 3, 1))
    point = held.contract.supply_point_links.get().supply_point
    meter_read_record(
        company=company,
        supply_point=point,
        register=held.registers["all"],
        read_on=date(2026, 3, 1),
        value="1250",
        kind="actual",
        source="dso",
        actor=None,
        now=now,
        supersedes=bad,
    )
    response = billing_client.post(f"/billing/runs/{run.pk}/items/{item.pk}/", {"action": "rerate"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == ItemStatus.ISSUED
    assert Invoice.objects.get(contract=held.contract).consumption_kwh == 250


def test_an_error_that_is_not_a_judgement_cannot_be_approved(billing_client, billed):
    run, _, held = billed
    item = run.items.get(contract=held.contract)
    page = billing_client.post(f"/billing/runs/{run.pk}/items/{item.pk}/", {"action": "approve"}, follow=True)
    assert "correct the data and re-rate" in page.content.decode()
    item.refresh_from_db()
    assert item.status == ItemStatus.HELD


def test_invoice_page_pdf_and_json(billing_client, billed):
    run, good, _ = billed
    invoice = Invoice.objects.get(contract=good[0].contract)
    page = billing_client.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert invoice.number in page and "energy_per_zone" in page
    pdf = billing_client.get(f"/billing/invoices/{invoice.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    document = json.loads(billing_client.get(f"/billing/invoices/{invoice.pk}/json/").content)
    assert document == invoice.document and document["schema"] == "kilowatt.invoice/1"


def test_360_page_shows_invoices_and_the_ledger_balance(
    billing_client, billed, django_assert_max_num_queries
):
    _, good, _ = billed
    invoice = Invoice.objects.get(contract=good[0].contract)
    with django_assert_max_num_queries(32):  # finance: open items, payments, refunds; care: 2 panels
        page = billing_client.get(f"/customers/{invoice.customer_id}/").content.decode()
    assert "panel-invoices" in page and invoice.number in page and f"{invoice.gross}" in page


def test_another_company_sees_none_of_it(client, billed, other_company):
    run, good, _ = billed
    invoice = Invoice.objects.get(contract=good[0].contract)
    item = run.items.first()
    client.force_login(make_staff("rival-billing", other_company, Role.BILLING))
    for url in [
        f"/billing/runs/{run.pk}/",
        f"/billing/invoices/{invoice.pk}/",
        f"/billing/invoices/{invoice.pk}/pdf/",
        f"/billing/invoices/{invoice.pk}/json/",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/billing/runs/{run.pk}/items/{item.pk}/", {"action": "hold"}).status_code == 404
    assert "2026-02" not in client.get("/billing/runs/").content.decode()


def test_roles_without_billing_rights_are_refused(client, billed, company):
    run, good, _ = billed
    invoice = Invoice.objects.get(contract=good[0].contract)
    client.force_login(make_staff("sam", company, Role.SALES_MANAGER))
    assert client.get("/billing/runs/").status_code == 403
    assert client.get(f"/billing/invoices/{invoice.pk}/pdf/").status_code == 403
    assert "panel-invoices" not in client.get(f"/customers/{invoice.customer_id}/").content.decode()
    client.force_login(make_staff("fiona", company, Role.FINANCE))
    assert client.get(f"/billing/runs/{run.pk}/").status_code == 200
    assert client.post("/billing/runs/", {"month": "2026-03", "issue_date": "2026-04-02"}).status_code == 403
    item = run.items.first()
    assert client.post(f"/billing/runs/{run.pk}/items/{item.pk}/", {"action": "hold"}).status_code == 403


def test_a_flagged_invoice_is_corrected_from_its_page(billing_client, billed, company, now):
    from kilowatt.core.operations import outbox_dispatch

    run, good, _ = billed
    invoice = Invoice.objects.get(contract=good[0].contract)
    register = good[0].registers["all"]
    point = good[0].contract.supply_point_links.get().supply_point
    meter_read_record(
        company=company,
        supply_point=point,
        register=register,
        read_on=date(2026, 3, 1),
        value="1290",
        kind="actual",
        source="dso",
        actor=None,
        now=now,
        supersedes=register.reads.get(read_on=date(2026, 3, 1)),
    )
    outbox_dispatch(now=now)
    page = billing_client.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert "to correct" in page and "corrected to 1290" in page
    response = billing_client.post(f"/billing/invoices/{invoice.pk}/correct/", {"reason": "DSO correction"})
    correction = Invoice.objects.get(corrects=invoice)
    assert response["Location"] == f"/billing/invoices/{correction.pk}/"
    page = billing_client.get(response["Location"]).content.decode()
    assert invoice.number in page and "DSO correction" in page
    assert billing_client.get(f"/billing/invoices/{correction.pk}/pdf/").content.startswith(b"%PDF")


def test_finance_cannot_issue_corrections(client, billed, company):
    _, good, _ = billed
    invoice = Invoice.objects.get(contract=good[0].contract)
    client.force_login(make_staff("fin", company, Role.FINANCE))
    assert client.post(f"/billing/invoices/{invoice.pk}/correct/", {"reason": "x"}).status_code == 403
    assert not Invoice.objects.filter(corrects=invoice).exists()


def test_a_note_is_issued_from_the_customer_page_within_the_company(
    billing_client, billed, client, other_company
):
    _, good, _ = billed
    contract = good[0].contract
    response = billing_client.post(
        f"/customers/{contract.customer_id}/notes/new/",
        {"contract": contract.pk, "title": "Opłata za monit", "amount": "15.00"},
    )
    note = Invoice.objects.get(kind="note")
    assert response["Location"] == f"/billing/invoices/{note.pk}/" and note.gross == 15
    page = billing_client.post(
        f"/customers/{contract.customer_id}/notes/new/",
        {"contract": contract.pk, "title": "", "amount": "x"},
        follow=True,
    ).content.decode()
    assert "Say what the note is for" in page and Invoice.objects.filter(kind="note").count() == 1
    client.force_login(make_staff("rival-bill", other_company, Role.BILLING))
    assert (
        client.post(
            f"/customers/{contract.customer_id}/notes/new/",
            {"contract": contract.pk, "title": "x", "amount": "1"},
        ).status_code
        == 404
    )


def test_correct_a_read_on_its_page_then_rerate_the_held_contract(
    billing_client, billed, django_assert_max_num_queries
):
    run, _, held = billed
    point = held.contract.supply_point_links.get().supply_point
    wrong = held.registers["all"].reads.get(read_on=date(2026, 3, 1))
    with django_assert_max_num_queries(15):
        page = billing_client.get(f"/supply-points/{point.pk}/reads/").content.decode()
    assert "negative" in page or "lower than the previous" in page
    response = billing_client.post(
        f"/supply-points/{point.pk}/reads/",
        {
            "register": held.registers["all"].pk,
            "read_on": "2026-03-01",
            "value": "1250",
            "kind": "actual",
            "supersedes": wrong.pk,
        },
    )
    assert response.status_code == 302
    wrong.refresh_from_db()
    assert wrong.superseded_by.value == 1250
    item = run.items.get(contract=held.contract)
    billing_client.post(f"/billing/runs/{run.pk}/items/{item.pk}/", {"action": "rerate"})
    item.refresh_from_db()
    assert item.status == ItemStatus.ISSUED


def test_reads_page_keeps_to_its_company_and_role(client, billed, company, other_company):
    _, good, _ = billed
    point = good[0].contract.supply_point_links.get().supply_point
    client.force_login(make_staff("rival-reads", other_company, Role.BACK_OFFICE))
    assert client.get(f"/supply-points/{point.pk}/reads/").status_code == 404
    client.force_login(make_staff("fin-reads", company, Role.FINANCE))
    assert client.get(f"/supply-points/{point.pk}/reads/").status_code == 200
    assert (
        client.post(f"/supply-points/{point.pk}/reads/", {"read_on": "2026-03-05", "value": "1"}).status_code
        == 403
    )


def test_correcting_a_billed_read_on_its_page_marks_the_invoice(
    billing_client, billed, django_capture_on_commit_callbacks
):
    _, good, _ = billed
    invoice = Invoice.objects.get(contract=good[0].contract)
    point = good[0].contract.supply_point_links.get().supply_point
    register = good[0].registers["all"]
    with django_capture_on_commit_callbacks(execute=True):
        billing_client.post(
            f"/supply-points/{point.pk}/reads/",
            {
                "register": register.pk,
                "read_on": "2026-03-01",
                "value": "1280",
                "kind": "actual",
                "supersedes": register.reads.get(read_on=date(2026, 3, 1)).pk,
            },
        )
    page = billing_client.get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert "to correct" in page and "corrected to 1280" in page


def test_a_correction_takes_the_register_of_the_read_it_corrects(billing_client, billed):
    _, _, held = billed
    point = held.contract.supply_point_links.get().supply_point
    wrong = held.registers["all"].reads.get(read_on=date(2026, 3, 1))
    response = billing_client.post(
        f"/supply-points/{point.pk}/reads/",
        {"read_on": "2026-03-01", "value": "1200", "kind": "actual", "supersedes": wrong.pk},
    )
    assert response.status_code == 302
    wrong.refresh_from_db()
    assert wrong.superseded_by.register_id == wrong.register_id
    page = billing_client.post(f"/supply-points/{point.pk}/reads/", {"read_on": "2026-03-02", "value": "1"})
    assert "Choose the register." in page.content.decode()


def test_finance_cannot_issue_notes(client, billed, company):
    _, good, _ = billed
    contract = good[0].contract
    client.force_login(make_staff("fin-notes", company, Role.FINANCE))
    response = client.post(
        f"/customers/{contract.customer_id}/notes/new/",
        {"contract": contract.pk, "title": "x", "amount": "1"},
    )
    assert response.status_code == 403 and not Invoice.objects.filter(kind="note").exists()


def test_a_read_that_is_not_a_number_is_named_and_nothing_is_stored(billing_client, billed):
    _, good, _ = billed
    point = good[0].contract.supply_point_links.get().supply_point
    register = good[0].registers["all"]
    count = register.reads.count()
    page = billing_client.post(
        f"/supply-points/{point.pk}/reads/",
        {"register": register.pk, "read_on": "2026-03-05", "value": "dużo", "kind": "actual"},
    ).content.decode()
    assert "Enter a number." in page and register.reads.count() == count


def test_hold_a_waiting_contract_and_it_is_not_billed(billing_client, company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    scenario = billable_contract(company, now, prices=prices, reads=READS)
    run = billing_run_create(company=company, month=date(2026, 2, 1), issue_date=date(2026, 3, 2), now=now)
    item = run.items.get()
    billing_client.post(
        f"/billing/runs/{run.pk}/items/{item.pk}/", {"action": "hold", "reason": "customer disputes"}
    )
    billing_run_execute(run=run, now=now)
    item.refresh_from_db()
    assert item.status == ItemStatus.HELD and "customer disputes" in item.findings[-1]["message"]
    assert not Invoice.objects.filter(contract=scenario.contract).exists()
    page = billing_client.post(f"/billing/runs/{run.pk}/items/{item.pk}/", {"action": "hold"}, follow=True)
    assert "Only a contract still waiting" in page.content.decode()
