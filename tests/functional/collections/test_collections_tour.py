"""The finance and collections tour of the demo, in a real Chromium: import the demo's bank statement
(some invoices paid, one transfer left in the clearing queue), run two nightly collections runs (reminders
before the due date; overdue customers move through two dunning steps), and read it all on the case page
and the customer's 360° page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kilowatt.collections.models import CaseStatus, DunningCase, Notice, NoticeKind
from kilowatt.core.clock import system_clock
from kilowatt.core.models import Role
from kilowatt.core.periods import month_start
from kilowatt.finance.models import BankTransaction, TransactionStatus
from kilowatt.interfaces.cli.demo_billing import demo_billing_history, demo_reads_generate
from kilowatt.interfaces.cli.demo_collections import demo_finance_setup, demo_payments_generate
from kilowatt.interfaces.cli.demo_data import demo_data_generate
from tests.conftest import make_staff
from tests.functional.conftest import BROWSER_MARKS

pytestmark = BROWSER_MARKS


@pytest.fixture
def demo_company(company, reference_data, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    company.bank_account_prefix = "109010147777"
    company.save()
    now, today = system_clock.now(), system_clock.today()
    demo_data_generate(company=company, customers=60, seed=11, now=now)
    demo_reads_generate(company=company, until=today, seed=11, now=now)
    demo_billing_history(company=company, through=month_start(today, offset=-2), now=now)
    demo_finance_setup(company=company)
    paid = demo_payments_generate(company=company, today=today, seed=11, now=now)
    assert paid.tour_statement is not None and paid.tour_statement.exists()
    return company, paid


@pytest.mark.django_db(transaction=True)
def test_statement_pays_and_two_nights_move_the_debtors_two_steps(browser_page, live_server, demo_company):
    company, paid = demo_company
    make_staff("wanda", company, Role.ADMIN)
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "wanda")
    page.fill("#id_password", "s3cret-pass!")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.click("nav >> text=Payments")
    page.set_input_files("input[name=file]", str(paid.tour_statement))
    page.click("text=Import the statement")
    message = page.inner_text("ul.messages")
    assert "Matched: 4" in message and "in the clearing queue: 1" in message
    assert "Jan Nieznany" in page.inner_text("#clearing-queue")
    statement = BankTransaction.objects.filter(company=company, statement__file_name=paid.tour_statement.name)
    assert statement.filter(status=TransactionStatus.UNMATCHED).count() == 1

    page.click("nav >> text=Collections")
    page.click("text=Run the nightly collections run")
    first = page.inner_text("ul.messages")
    assert "cases opened" in first
    assert Notice.objects.filter(company=company, kind=NoticeKind.DUE_SOON).exists()  # reminded before due
    cases = DunningCase.objects.filter(company=company, status=CaseStatus.OPEN)
    assert cases.exists() and all(c.step.position == 0 for c in cases)

    tomorrow = system_clock.today() + timedelta(days=1)
    assert page.input_value("input[name=on_date]") == tomorrow.isoformat()  # the next night is offered
    page.click("text=Run the nightly collections run")
    assert "steps taken" in page.inner_text("ul.messages")
    case = DunningCase.objects.filter(company=company, status=CaseStatus.OPEN).order_by("pk").first()
    assert case.step.position == 1 and case.step_on == tomorrow

    page.click(f"#cases a[href='/collections/cases/{case.pk}/']")
    history = page.inner_text("#case-history")
    assert history.count("Step taken") == 2 and case.step.name in history
    notices = page.inner_text("#case-notices")
    assert "Sent" in notices or "In a print batch" in notices

    page.click(f"h1 a[href^='/customers/{case.customer_id}/']")
    panel = page.inner_text("#panel-collections")
    assert case.step.name in panel and "Case opened" in panel
    assert "Payment reminder" in panel or "Demand for payment" in panel
    assert "Over 90 days" in page.inner_text("#panel-finance")
