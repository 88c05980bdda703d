"""Commission on paid invoices accrues only on money the customer paid: an invoice cancelled by a correction
or written off earns nothing and does not count towards an "N paid invoices" stage; an invoice paid by a
transfer still does."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kilowatt.billing.models import Invoice
from kilowatt.commissions.models import CommissionEntry
from kilowatt.commissions.operations import paid_invoice_count
from kilowatt.core.operations import outbox_dispatch
from kilowatt.finance.allocation import ledger_allocate
from kilowatt.finance.models import LedgerEntry
from kilowatt.finance.operations import Posting, debt_write_off, ledger_post_many
from kilowatt.finance.payments import Match, Payment, payments_post
from tests import factories
from tests.integration.commissions import builders
from tests.integration.commissions.builders import START, D

pytestmark = pytest.mark.django_db


def _sale(company, now, *, basis="percent_billed", stages=(), rate="10"):
    """Alpha's agent anna sold one point under a scheme of ``basis`` (agents 80 %), signed."""
    alpha = factories.organisation(company, now, "alpha")
    anna = factories.agent(alpha, "anna").user
    builders.assign(builders.scheme(company, code=basis, basis=basis, stages=stages, rates=[{"rate": rate}]),
                    organisation=alpha)  # fmt: skip
    sale = builders.sale(
        company, now, builders.prices(company), organisation=alpha, agent=anna, annuals=["2200"]
    )
    builders.sign(sale, now)
    return sale


def _unpaid_invoice(sale, now, number: str, net: str = "1000.00", month: int = 0) -> Invoice:
    """A bill of the contract posted to the ledger, not paid."""
    contract = sale.contract
    net_amount = D(net)
    vat = (net_amount * D("0.23")).quantize(D("0.01"))
    period_start = START + timedelta(days=31 * month)
    issue = period_start + timedelta(days=31)
    invoice = Invoice.objects.create(
        company=contract.company, number=number, kind="periodic", customer=contract.customer,
        contract=contract, supply_point=None, period_start=period_start,
        period_end=period_start + timedelta(days=30), issue_date=issue, due_date=issue + timedelta(days=14),
        net=net_amount, vat=vat, gross=net_amount + vat, amount_due=net_amount + vat,
        consumption_kwh=D("300"), document={}, issued_at=now,
    )  # fmt: skip
    posting = Posting(
        contract.customer_id, "invoice", "invoice", invoice.pk, invoice.number, invoice.amount_due, issue,
        invoice.due_date,
    )  # fmt: skip
    ledger_post_many(company=contract.company, postings=[posting], now=now)
    return invoice


def _cancel_by_correction(sale, invoice, now) -> None:
    ledger_post_many(company=sale.contract.company, postings=[Posting(sale.contract.customer_id, "correction",
                     "correction", 0, f"FK/{invoice.pk}/2026", -invoice.amount_due, invoice.due_date, None)],
                     now=now)  # fmt: skip
    ledger_allocate(customer=sale.contract.customer, now=now)
    outbox_dispatch(now=now)


def _write_off(invoice, now, amount=None) -> None:
    entry = LedgerEntry.objects.get(document_type="invoice", document_id=invoice.pk)
    debt_write_off(entry=entry, amount=amount or entry.amount, reason="bad debt", made_by="x",
                   on_date=invoice.due_date + timedelta(days=60), now=now)  # fmt: skip
    outbox_dispatch(now=now)


def _pay(sale, invoice, amount, paid_on, now) -> None:
    match = Match(sale.contract.customer_id, "title", (invoice.number,))
    payment = Payment(10**6 + invoice.pk, f"T{invoice.pk}", paid_on, amount, match)
    payments_post(company=sale.contract.company, payments=[payment], now=now)
    outbox_dispatch(now=now)


def test_an_invoice_cancelled_by_a_correction_earns_nothing(company, now):
    sale = _sale(company, now)
    invoice = _unpaid_invoice(sale, now, "FV/900001/2026")
    _cancel_by_correction(sale, invoice, now)
    assert not CommissionEntry.objects.exists()
    assert paid_invoice_count(contract=sale.contract) == 0


def test_an_invoice_written_off_earns_nothing_even_when_the_rest_is_paid(company, now):
    sale = _sale(company, now)
    whole = _unpaid_invoice(sale, now, "FV/900001/2026")
    _write_off(whole, now)
    part = _unpaid_invoice(sale, now, "FV/900002/2026", month=1)
    _write_off(part, now, amount=D("30.00"))
    _pay(sale, part, part.amount_due - D("30.00"), date(2026, 7, 20), now)
    assert not CommissionEntry.objects.exists()
    assert paid_invoice_count(contract=sale.contract) == 0


def test_an_invoice_paid_by_a_transfer_earns_its_commission(company, now):
    sale = _sale(company, now)
    invoice = _unpaid_invoice(sale, now, "FV/900001/2026")
    _pay(sale, invoice, invoice.amount_due, date(2026, 5, 20), now)
    # 10 % of 1,000.00 net = 100.00: anna 80 %, the organisation 20 %.
    rows = dict(CommissionEntry.objects.filter(invoice=invoice).values_list("agent__username", "amount"))
    assert rows == {"anna": D("80.00"), None: D("20.00")}
    assert paid_invoice_count(contract=sale.contract) == 1


def test_only_paid_invoices_release_the_paid_invoices_stage(company, now):
    stages = (("signed", "50", 0), ("invoices_paid", "50", 2))
    sale = _sale(company, now, basis="point", stages=stages, rate="100")
    first = _unpaid_invoice(sale, now, "FV/900001/2026")
    _pay(sale, first, first.amount_due, date(2026, 5, 20), now)
    cancelled = _unpaid_invoice(sale, now, "FV/900002/2026", month=1)
    _cancel_by_correction(sale, cancelled, now)
    written_off = _unpaid_invoice(sale, now, "FV/900003/2026", month=2)
    _write_off(written_off, now)
    # Three bills settled, one of them paid: the stage of two paid invoices waits.
    assert paid_invoice_count(contract=sale.contract) == 1
    assert not CommissionEntry.objects.filter(stage__trigger="invoices_paid").exists()
    second = _unpaid_invoice(sale, now, "FV/900004/2026", month=3)
    _pay(sale, second, second.amount_due, date(2026, 8, 20), now)
    assert paid_invoice_count(contract=sale.contract) == 2
    released = CommissionEntry.objects.filter(stage__trigger="invoices_paid")
    assert set(released.values_list("occurred_on", flat=True)) == {date(2026, 8, 20)}
    assert sorted(released.values_list("amount", flat=True)) == [D("10.00"), D("40.00")]
