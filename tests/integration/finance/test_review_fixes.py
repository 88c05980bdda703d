"""Regressions from the review of finance and collections: interest noted once when two runs race, no
interest on a debt a correction cancelled, a written-off debt not reversed behind the write-off's back,
amounts in whole grosze, dunning to disconnection only for energy and only after a notice really sent, a
complaint blocking the case at once, the same statement imported twice at once, online payments dated in
Warsaw."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from tests import factories

from kilowatt.collections.models import CaseStatus, DunningCase, DunningPolicy, DunningStep, GridOrder, Notice
from kilowatt.collections.operations import case_step_decide, debt_dispute_open
from kilowatt.collections.run import dunning_run
from kilowatt.core.clock import WARSAW
from kilowatt.core.errors import ValidationFailed
from kilowatt.finance.allocation import ledger_allocate
from kilowatt.finance.interest import interest_notes_issue
from kilowatt.finance.models import (
    BankStatement,
    FinancePolicy,
    InterestCharge,
    InterestNote,
    LedgerEntry,
)
from kilowatt.finance.operations import Posting, debt_write_off, ledger_entry_reverse, ledger_post_many
from kilowatt.finance.payments import statement_import

pytestmark = pytest.mark.django_db
D = Decimal
DUE = date(2026, 1, 31)


def _twice_at_once(work) -> list[Exception]:
    """Run ``work`` in two threads (two database connections) released together; the errors they raised."""
    barrier, errors = threading.Barrier(2), []

    def run():
        barrier.wait()
        try:
            work()
        except Exception as error:  # noqa: BLE001 - returned to the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _post(company, customer, kind, number, amount, posted_on, due, now, document_id):
    ledger_post_many(
        company=company,
        postings=[Posting(customer.pk, kind, kind, document_id, number, D(amount), posted_on, due)],
        now=now,
    )


def test_a_correction_cancelling_a_debt_late_charges_no_interest(company, now):
    customer = factories.customer(company, now)
    _post(company, customer, "invoice", "FV/000001/2026", "1000.00", date(2026, 1, 15), DUE, now, 1)
    _post(company, customer, "correction", "FK/000001/2026", "-1000.00", date(2026, 3, 31), None, now, 2)
    ledger_allocate(customer=customer, now=now)
    assert not InterestCharge.objects.exists()


def test_a_written_off_debt_is_not_reversed_before_its_write_off(company, now):
    customer = factories.customer(company, now)
    _post(company, customer, "invoice", "FV/000002/2026", "100.00", date(2026, 1, 15), DUE, now, 3)
    debt = LedgerEntry.objects.get(document_number="FV/000002/2026")
    debt_write_off(entry=debt, amount=D("100.00"), reason="uncollectable", made_by="fi", on_date=DUE, now=now)
    with pytest.raises(ValidationFailed):
        ledger_entry_reverse(entry=debt, reason="wrong invoice", made_by="fi", on_date=DUE, now=now)
    for bad in (D("NaN"), D("0.001"), D("Infinity")):
        with pytest.raises(ValidationFailed):
            debt_write_off(entry=debt, amount=bad, reason="x", made_by="fi", on_date=DUE, now=now)


@pytest.fixture
def disconnecting(company, now):
    company.street, company.postal_code, company.city = "ul. Prosta 20", "00-850", "Warszawa"
    company.bank_account_prefix = "109010147777"
    company.save()
    policy = DunningPolicy.objects.create(company=company, name="All")
    for position, (action, after_due) in enumerate([("disconnection_notice", 1), ("disconnection_order", 2)]):
        DunningStep.objects.create(
            policy=policy, position=position, name=action, action=action, days_after_due=after_due,
            days_after_previous=1, requires_approval=action == "disconnection_order",
        )  # fmt: skip
    return policy


def test_no_notice_of_disconnection_for_fees_alone(company, now, disconnecting):
    customer = factories.customer(company, now)
    _post(company, customer, "fee", "OP/000001/2026", "30.00", date(2026, 1, 15), DUE, now, 4)
    dunning_run(company=company, on_date=DUE + timedelta(days=10), now=now)
    assert not Notice.objects.filter(customer=customer).exists()


def test_a_complaint_blocks_the_case_at_once_and_the_approval_is_refused(company, now, disconnecting):
    customer = factories.customer(company, now)
    factories.supply_point(company, customer, now)
    _post(company, customer, "invoice", "FV/000003/2026", "900.00", date(2026, 1, 15), DUE, now, 5)
    sent = datetime(2026, 2, 2, 10, tzinfo=WARSAW)
    dunning_run(company=company, on_date=DUE + timedelta(days=2), now=sent)
    dunning_run(company=company, on_date=DUE + timedelta(days=20), now=sent + timedelta(days=18))
    case = DunningCase.objects.get(customer=customer)
    assert case.awaiting_approval
    debt_dispute_open(customer=customer, subject="Wrong reading", on_date=DUE + timedelta(days=20), now=now)
    case.refresh_from_db()
    assert case.status == CaseStatus.BLOCKED and not case.awaiting_approval
    with pytest.raises(ValidationFailed):
        case_step_decide(
            case=case, approve=True, reason="", made_by="boss", on_date=DUE + timedelta(days=20), now=now
        )
    assert not GridOrder.objects.exists()


def test_a_notice_that_was_never_sent_starts_no_deadline(company, now, disconnecting):
    company.street = company.postal_code = company.city = ""  # no address: letters cannot be printed
    company.save()
    customer = factories.customer(company, now)
    _post(company, customer, "invoice", "FV/000004/2026", "900.00", date(2026, 1, 15), DUE, now, 6)
    dunning_run(company=company, on_date=DUE + timedelta(days=2), now=now)
    assert Notice.objects.get(customer=customer).status == "failed"
    dunning_run(company=company, on_date=DUE + timedelta(days=20), now=now)
    assert not DunningCase.objects.get(customer=customer).awaiting_approval


@pytest.mark.django_db(transaction=True)
def test_interest_noted_once_when_two_runs_race(company, now, reference_data):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks between two connections")
    FinancePolicy.objects.create(company=company, interest_minimum=D("0.01"))
    customer = factories.customer(company, now)
    _post(company, customer, "invoice", "FV/000005/2026", "1000.00", date(2026, 1, 15), DUE, now, 7)
    _post(company, customer, "payment", "P", "-1000.00", date(2026, 3, 31), None, now, 8)
    with transaction.atomic():
        ledger_allocate(customer=customer, now=now)

    def issue():
        with transaction.atomic():
            interest_notes_issue(company=company, on_date=date(2026, 4, 1), now=now)

    assert not _twice_at_once(issue)
    assert InterestNote.objects.count() == 1 and LedgerEntry.objects.filter(kind="interest").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_statement_twice_at_once_is_imported_once(company, now, reference_data):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks between two connections")
    content = b"booked_on;amount;title;reference\n2026-03-02;10,00;x;R1\n"
    assert not _twice_at_once(
        lambda: statement_import(company=company, file_name="s.csv", content=content, now=now)
    )
    assert BankStatement.objects.count() == 1
