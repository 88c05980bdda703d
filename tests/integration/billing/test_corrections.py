"""A corrected read marks the invoice built on it; its correction invoice shows before → after, posts
the difference to the ledger and resolves the mark."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from tests.billing_scenarios import HOUSEHOLD, billable_contract, price_list

from kilowatt.billing.corrections import CorrectionRefused, invoice_correct
from kilowatt.billing.models import CorrectionFlag, Invoice, InvoiceKind
from kilowatt.billing.runs import billing_run_create, billing_run_execute
from kilowatt.core.clock import WARSAW
from kilowatt.core.operations import outbox_dispatch
from kilowatt.finance.models import LedgerEntry
from kilowatt.finance.queries import customer_balance
from kilowatt.metering.operations import meter_read_record

pytestmark = pytest.mark.django_db
D = Decimal
LATER = datetime(2026, 3, 20, 10, 0, tzinfo=WARSAW)


@pytest.fixture
def billed(company, now):
    prices = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    scenario = billable_contract(
        company, now, prices=prices, reads={"all": [(date(2026, 1, 1), "1000"), (date(2026, 3, 1), "1350")]}
    )
    run = billing_run_create(company=company, month=date(2026, 2, 1), issue_date=date(2026, 3, 2), now=now)
    billing_run_execute(run=run, now=now)
    return scenario, Invoice.objects.get(contract=scenario.contract)


def _correct_the_end_read(company, scenario, value):
    register = scenario.registers["all"]
    wrong = register.reads.get(read_on=date(2026, 3, 1))
    point = scenario.contract.supply_point_links.get().supply_point
    meter_read_record(
        company=company,
        supply_point=point,
        register=register,
        read_on=date(2026, 3, 1),
        value=value,
        kind="actual",
        source="dso",
        actor=None,
        now=LATER,
        supersedes=wrong,
    )
    outbox_dispatch(now=LATER)


def test_a_corrected_read_flags_the_invoice_and_its_correction_shows_before_and_after(company, billed):
    scenario, invoice = billed
    _correct_the_end_read(company, scenario, "1300")
    flag = CorrectionFlag.objects.get(invoice=invoice)
    assert "corrected to 1300" in flag.reason and flag.resolved_by is None

    correction = invoice_correct(
        invoice=invoice, reason="DSO corrected the read of 1 March", issue_date=date(2026, 3, 20), now=LATER
    )
    # 300 kWh instead of 350: energy −24.75, variable −17.35, quality −1.66, OZE −0.37, cogeneration −0.15;
    # net after 335.43, VAT after 77.15 (before 87.33), so the difference is −44.28 net, −10.18 VAT, −54.46.
    assert correction.kind == InvoiceKind.CORRECTION and correction.corrects == invoice
    assert (correction.net, correction.vat, correction.gross) == (D("-44.28"), D("-10.18"), D("-54.46"))
    assert correction.number == "FK/000001/2026"
    document = correction.document
    assert document["corrected_invoice"]["number"] == invoice.number
    assert document["corrected_invoice"]["before"]["gross"] == "467.04"
    sides = {line["trace"]["side"] for line in document["lines"]}
    assert sides == {"before", "after"}
    assert sum(D(line["net"]) for line in document["lines"]) == D("-44.28")
    assert LedgerEntry.objects.get(document_id=correction.pk).amount == D("-54.46")
    assert customer_balance(customer=invoice.customer) == D("412.58")
    flag.refresh_from_db()
    assert flag.resolved_by == correction


def test_a_second_correction_starts_from_the_first(company, billed):
    scenario, invoice = billed
    _correct_the_end_read(company, scenario, "1300")
    invoice_correct(invoice=invoice, reason="first", issue_date=date(2026, 3, 20), now=LATER)
    register = scenario.registers["all"]
    latest = register.reads.filter(read_on=date(2026, 3, 1), superseded_by__isnull=True).get()
    point = scenario.contract.supply_point_links.get().supply_point
    meter_read_record(
        company=company,
        supply_point=point,
        register=register,
        read_on=date(2026, 3, 1),
        value="1310",
        kind="actual",
        source="dso",
        actor=None,
        now=LATER,
        supersedes=latest,
    )
    second = invoice_correct(invoice=invoice, reason="second", issue_date=date(2026, 3, 21), now=LATER)
    assert second.document["corrected_invoice"]["before"]["gross"] == "412.58"
    assert second.gross > 0
    assert customer_balance(customer=invoice.customer) == D("412.58") + second.gross


def test_nothing_to_correct_is_refused_and_nothing_is_written(billed, now):
    _, invoice = billed
    with pytest.raises(CorrectionRefused, match="comes out the same"):
        invoice_correct(invoice=invoice, reason="just checking", issue_date=date(2026, 3, 20), now=LATER)
    assert not Invoice.objects.filter(kind=InvoiceKind.CORRECTION).exists()
    with pytest.raises(CorrectionRefused, match="reason"):
        invoice_correct(invoice=invoice, reason=" ", issue_date=date(2026, 3, 20), now=LATER)
