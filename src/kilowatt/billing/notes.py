"""Accounting notes (noty księgowe): charges and credits outside VAT, such as a contractual penalty or a
compensation, numbered from their own series and posted to the customer's ledger."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from kilowatt.billing.document import document_header
from kilowatt.billing.models import Invoice, InvoiceKind, InvoiceLine
from kilowatt.billing.operations import due_date_for
from kilowatt.core.errors import FieldError, ValidationFailed
from kilowatt.core.models import OutboxEvent
from kilowatt.core.money import money_round
from kilowatt.core.numbering import number_series_next
from kilowatt.core.periods import Period
from kilowatt.finance.accounts import virtual_account_for
from kilowatt.finance.models import LedgerEntry, LedgerEntryKind
from kilowatt.sales.models import Contract

NOTE_SERIES = "note"
MAX_AMOUNT = Decimal("1000000000")  # the amount columns hold 12 digits before the point


def _note_amount(*, title: str, amount: Decimal | str) -> Decimal:
    """The note's amount in grosz; raises ValidationFailed naming the title or the amount."""
    errors = []
    if not title.strip():
        errors.append(FieldError("title", _("Say what the note is for.")))
    value = None
    try:
        value = money_round(Decimal(str(amount).replace(",", ".").replace(" ", "")))
        if abs(value) >= MAX_AMOUNT:
            raise ValueError(value)
    except (InvalidOperation, ValueError, TypeError):
        value = None
        errors.append(FieldError("amount", _("Enter the amount in złoty, e.g. 150.00 or -20.00.")))
    if value == 0:
        errors.append(FieldError("amount", _("A note is for an amount other than zero.")))
    if errors:
        raise ValidationFailed(errors)
    assert value is not None
    return value


@transaction.atomic
def accounting_note_issue(
    *, contract: Contract, title: str, amount: Decimal | str, issue_date: date, now: datetime
) -> Invoice:
    """Issue a note for ``amount`` (negative: owed to the customer). Raises ValidationFailed."""
    value = _note_amount(title=title, amount=amount)
    company, customer = contract.company, contract.customer
    number = number_series_next(company=company, document_type=NOTE_SERIES, year=issue_date.year)
    due = due_date_for(issue_date=issue_date, payment_term_days=contract.payment_term_days)
    day_after = issue_date + timedelta(days=1)  # the note's period is its issue day, half-open
    line = {
        "group": "other",
        "component": "note",
        "description": title.strip()[:200],
        "zone": "",
        "period_start": issue_date.isoformat(),
        "period_end": day_after.isoformat(),
        "quantity": "1",
        "unit": "",
        "unit_price": str(value),
        "net": str(value),
        "vat_rate": "0",
        "trace": {"rule": "note"},
    }
    document = {
        **document_header(
            contract=contract,
            number=number,
            kind=InvoiceKind.NOTE,
            language=customer.language or "pl",
            issue_date=issue_date,
            due_date=due,
            period=Period(issue_date, day_after),
            bank_account=virtual_account_for(company=company, customer_id=customer.pk),
        ),
        "supply_point": None,
        "readings": [],
        "lines": [line],
        "vat": [],
        "totals": {"net": str(value), "vat": "0.00", "gross": str(value)},
        "amount_due": str(value),
        "excise": None,
        "consumption_history": [],
        "notes": [],
        "corrected_invoice": None,
    }
    note = Invoice.objects.create(
        company=company,
        number=number,
        kind=InvoiceKind.NOTE,
        customer=customer,
        contract=contract,
        period_start=issue_date,
        period_end=day_after,
        issue_date=issue_date,
        due_date=due,
        net=value,
        vat=Decimal("0.00"),
        gross=value,
        amount_due=value,
        document=document,
        issued_at=now,
    )
    InvoiceLine.objects.create(
        invoice=note,
        position=1,
        group="other",
        component="note",
        description=line["description"],
        period_start=issue_date,
        period_end=day_after,
        quantity=1,
        unit="",
        unit_price=value,
        net=value,
        vat_rate=0,
        trace=line["trace"],
    )
    LedgerEntry.objects.create(
        company=company,
        customer=customer,
        kind=LedgerEntryKind.NOTE,
        document_type="invoice",
        document_id=note.pk,
        document_number=number,
        amount=value,
        posted_on=issue_date,
        due_date=due,
        created_at=now,
    )
    OutboxEvent.objects.create(
        company=company,
        name="billing.note.issued-v1",
        occurred_at=now,
        payload={"invoice_id": note.pk, "number": number, "customer_id": customer.pk, "amount": str(value)},
    )
    return note
