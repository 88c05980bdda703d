"""Accounting notes: numbered from their own series, outside VAT, posted to the ledger, printable."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from tests.billing_scenarios import HOUSEHOLD, billable_contract, price_list

from kilowatt.billing.models import InvoiceKind
from kilowatt.billing.notes import accounting_note_issue
from kilowatt.core.errors import ValidationFailed
from kilowatt.documents.invoices import invoice_pdf_render
from kilowatt.finance.models import LedgerEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    return billable_contract(company, now, prices=prices).contract


def test_a_note_is_numbered_posted_and_printed(contract, now):
    note = accounting_note_issue(
        contract=contract,
        title="Kara umowna za zerwanie umowy",
        amount="150,00",
        issue_date=date(2026, 3, 10),
        now=now,
    )
    assert note.kind == InvoiceKind.NOTE and note.number == "NOT/000001/2026"
    assert (note.net, note.vat, note.gross) == (Decimal("150.00"), Decimal("0.00"), Decimal("150.00"))
    assert LedgerEntry.objects.get(document_id=note.pk, document_type="invoice").amount == Decimal("150.00")
    assert invoice_pdf_render(document=note.document).startswith(b"%PDF")


def test_bad_note_input_names_the_fields_and_writes_nothing(contract, now):
    with pytest.raises(ValidationFailed) as failed:
        accounting_note_issue(
            contract=contract, title=" ", amount="sto", issue_date=date(2026, 3, 10), now=now
        )
    assert {e.field for e in failed.value.errors} == {"title", "amount"}
    assert not LedgerEntry.objects.exists()
