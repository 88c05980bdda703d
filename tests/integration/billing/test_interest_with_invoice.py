"""A company that adds late-payment interest to the next invoice: the invoice run issues the customer's
interest note with the invoice; a company charging monthly leaves the charge waiting."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from tests.billing_scenarios import HOUSEHOLD, billable_contract, price_list

from kilowatt.billing.runs import billing_run_create, billing_run_execute
from kilowatt.finance.allocation import ledger_allocate
from kilowatt.finance.models import (
    FinancePolicy,
    InterestCharge,
    InterestMode,
    InterestNote,
    LedgerEntry,
    LedgerEntryKind,
)
from kilowatt.finance.operations import Posting, ledger_post_many

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("mode, notes", [(InterestMode.NEXT_INVOICE, 1), (InterestMode.MONTHLY, 0)])
def test_interest_note_issued_with_the_next_invoice(company, now, mode, notes):
    FinancePolicy.objects.create(company=company, interest_mode=mode, interest_minimum=Decimal("1.00"))
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    scenario = billable_contract(
        company, now, prices=prices, reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "1300")]}
    )
    customer = scenario.contract.customer
    ledger_post_many(
        company=company,
        postings=[
            Posting(customer.pk, "invoice", "invoice", 999, "FV/000999/2025", Decimal("1000.00"),
                    date(2025, 12, 1), date(2025, 12, 15)),
            Posting(customer.pk, "payment", "bank_transaction", 1, "P", Decimal("-1000.00"),
                    date(2026, 2, 13), None),
        ],
        now=now,
    )  # fmt: skip
    ledger_allocate(customer=customer, now=now)  # 60 days late: interest is charged, and waits
    assert InterestCharge.objects.get(customer=customer).note is None

    run = billing_run_create(company=company, month=date(2026, 2, 1), issue_date=date(2026, 3, 2), now=now)
    billing_run_execute(run=run, now=now)

    assert LedgerEntry.objects.filter(customer=customer, kind=LedgerEntryKind.INVOICE).count() == 2
    assert InterestNote.objects.filter(customer=customer, issued_on=date(2026, 3, 2)).count() == notes
    assert LedgerEntry.objects.filter(customer=customer, kind=LedgerEntryKind.INTEREST).count() == notes
