"""Billing in a real Chromium: start a run, read its findings, open an invoice and its PDF."""

from __future__ import annotations

from datetime import date

import pytest

from kilowatt.core.models import Role
from tests.billing_scenarios import HOUSEHOLD, billable_contract, price_list
from tests.conftest import make_staff
from tests.functional.conftest import BROWSER_MARKS

pytestmark = BROWSER_MARKS


@pytest.mark.django_db(transaction=True)
def test_start_a_run_see_the_held_contract_and_open_an_invoice(
    browser_page, live_server, company, now, reference_data
):
    make_staff("bianka", company, Role.BILLING)
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    good = billable_contract(
        company, now, prices=prices, reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "1300")]}
    )
    held = billable_contract(
        company, now, prices=prices, reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "900")]}
    )
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "bianka")
    page.fill("#id_password", "s3cret-pass!")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.click("nav >> text=Billing")
    page.fill("input[name=month]", "2026-02")
    page.fill("input[name=issue_date]", "2026-03-02")
    page.click("text=Start or resume the run")
    page.wait_for_selector("#run-progress")
    assert "2 of 2 contracts done" in page.inner_text("#run-progress")
    assert "failed validation" in page.inner_text(f"#item-{held.contract.billing_run_items.get().pk}")
    good_item = good.contract.billing_run_items.get()
    page.click(f"#item-{good_item.pk} a[href*='/billing/invoices/']")
    page.wait_for_selector("text=Explained by")
    assert good_item.contract.invoices.get().number in page.title()
    pdf = page.request.get(page.url + "pdf/")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
