"""``finance.invoice.paid-v1`` means the customer paid the invoice: published when a payment (or credit
transferred from another account of the customer's company) finishes settling it, never when a correction
or a credit note cancels it, nor when a write-off gave part of it up."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from tests import factories

from kilowatt.core.models import OutboxEvent
from kilowatt.finance.allocation import ledger_allocate
from kilowatt.finance.models import LedgerEntry
from kilowatt.finance.operations import Posting, credit_transfer, debt_write_off, ledger_post_many
from kilowatt.finance.payments import Match, Payment, payments_post

pytestmark = pytest.mark.django_db
D = Decimal
_ids = itertools.count(1)
DUE = date(2026, 5, 14)


def _invoice(company, customer, amount, now) -> LedgerEntry:
    number = f"FV/{next(_ids):06d}/2026"
    document_id = 500 + next(_ids)
    posting = Posting(
        customer.pk, "invoice", "invoice", document_id, number, D(amount), date(2026, 4, 30), DUE
    )
    ledger_post_many(company=company, postings=[posting], now=now)
    return LedgerEntry.objects.get(document_number=number)


def _pay(company, customer, amount, paid_on, now) -> None:
    payment = Payment(next(_ids), f"T{next(_ids)}", paid_on, D(amount), Match(customer.pk, "title", ()))
    payments_post(company=company, payments=[payment], now=now)


def _correct(company, customer, amount, on_date, now) -> None:
    """A correction invoice crediting ``amount`` (posted, then allocated like any credit)."""
    number = f"FK/{next(_ids)}/2026"
    posting = Posting(customer.pk, "correction", "correction", 0, number, -D(amount), on_date, None)
    ledger_post_many(company=company, postings=[posting], now=now)
    ledger_allocate(customer=customer, now=now)


def _paid_events():
    return list(
        OutboxEvent.objects.filter(name="finance.invoice.paid-v1")
        .order_by("id")
        .values_list("payload", flat=True)
    )


def test_a_payment_paying_an_invoice_off_publishes_it_paid_on_the_payment_day(company, now):
    customer = factories.customer(company, now)
    invoice = _invoice(company, customer, "123.00", now)
    _pay(company, customer, "23.00", date(2026, 5, 2), now)
    assert _paid_events() == []  # not paid off yet
    _pay(company, customer, "100.00", date(2026, 5, 10), now)
    [payload] = _paid_events()
    assert payload["invoice_id"] == invoice.document_id and payload["ledger_entry_id"] == invoice.pk
    assert payload["paid_on"] == "2026-05-10" and payload["number"] == invoice.document_number


def test_a_correction_cancelling_an_invoice_is_not_a_payment(company, now):
    customer = factories.customer(company, now)
    invoice = _invoice(company, customer, "123.00", now)
    _correct(company, customer, "123.00", date(2026, 5, 20), now)
    assert LedgerEntry.objects.get(pk=invoice.pk).allocations_received.get().amount == D("123.00")
    assert _paid_events() == []


def test_the_rest_paid_after_a_partial_correction_is_a_payment(company, now):
    customer = factories.customer(company, now)
    invoice = _invoice(company, customer, "123.00", now)
    _correct(company, customer, "23.00", date(2026, 5, 5), now)
    _pay(company, customer, "100.00", date(2026, 5, 10), now)
    assert [(p["invoice_id"], p["paid_on"]) for p in _paid_events()] == [(invoice.document_id, "2026-05-10")]


def test_an_invoice_partly_written_off_is_not_paid_when_the_rest_is(company, now):
    customer = factories.customer(company, now)
    invoice = _invoice(company, customer, "123.00", now)
    debt_write_off(
        entry=invoice, amount=D("23.00"), reason="settlement", made_by="x", on_date=date(2026, 6, 1), now=now
    )
    _pay(company, customer, "100.00", date(2026, 6, 10), now)
    assert LedgerEntry.objects.get(pk=invoice.pk).allocations_received.count() == 2  # settled in full
    assert _paid_events() == []


def test_credit_transferred_from_another_account_pays_an_invoice(company, now):
    payer = factories.customer(company, now)
    customer = factories.customer(company, now)
    _pay(company, payer, "200.00", date(2026, 5, 2), now)  # an overpayment kept as credit
    invoice = _invoice(company, customer, "123.00", now)
    credit_transfer(
        source=payer, target=customer, amount=D("123.00"), reason="same family", made_by="x",
        on_date=date(2026, 5, 12), now=now,
    )  # fmt: skip
    assert [(p["invoice_id"], p["paid_on"]) for p in _paid_events()] == [(invoice.document_id, "2026-05-12")]
