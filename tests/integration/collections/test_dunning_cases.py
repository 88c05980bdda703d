"""Dunning cases by hand and by the run: closed when the debt is paid (by a real statement), paused and
closed by staff only with a reason, a step waiting for approval rejected leaves the case where it was,
and one company's run never touches another company's customers."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest

from kilowatt.collections.models import (
    CaseEventKind,
    CaseStatus,
    DunningActionKind,
    DunningCase,
    DunningEvent,
    DunningPolicy,
    DunningRun,
    DunningStep,
    GridOrder,
    Notice,
)
from kilowatt.collections.operations import (
    case_close,
    case_note_add,
    case_pause,
    case_resume,
    case_step_decide,
)
from kilowatt.collections.run import dunning_run
from kilowatt.core.errors import ValidationFailed
from kilowatt.finance.accounts import virtual_account_for
from kilowatt.finance.allocation import ledger_allocate
from kilowatt.finance.models import LedgerEntry, LedgerEntryKind
from kilowatt.finance.operations import Posting, ledger_post_many
from kilowatt.finance.payments import statement_import
from tests import factories

pytestmark = pytest.mark.django_db
D = Decimal
DAY = date(2026, 3, 10)
_ids = itertools.count(1)
STEPS = [
    ("Reminder", DunningActionKind.REMINDER, 3, None, "0.00", False),
    ("Demand", DunningActionKind.DEMAND_LETTER, 7, 1, "10.00", False),
    ("Notice", DunningActionKind.DISCONNECTION_NOTICE, 14, 1, "0.00", False),
]


def _policy(company, steps=STEPS, **values) -> DunningPolicy:
    company.bank_account_prefix = "109010147777"
    company.street, company.postal_code, company.city = "ul. Prosta 20", "00-850", "Warszawa"
    company.save()
    policy = DunningPolicy.objects.create(company=company, name=f"Policy of {company.code}", **values)
    for position, (name, action, after_due, after_previous, fee, approval) in enumerate(steps):
        DunningStep.objects.create(
            policy=policy,
            position=position,
            name=name,
            action=action,
            days_after_due=after_due,
            days_after_previous=after_previous,
            fee=D(fee),
            requires_approval=approval,
        )
    return policy


@pytest.fixture
def policy(company):
    return _policy(company)


def _debt(company, customer, amount, due, now) -> LedgerEntry:
    number = f"FV/{next(_ids):06d}/2026"
    ledger_post_many(
        company=company,
        postings=[
            Posting(
                customer.pk, "invoice", "invoice", next(_ids), number, D(amount), due - timedelta(14), due
            )
        ],
        now=now,
    )
    return LedgerEntry.objects.get(company=company, document_number=number)


def _case(customer) -> DunningCase:
    return DunningCase.objects.get(customer=customer)


def test_a_case_closes_by_itself_when_a_statement_pays_the_debt(company, policy, now):
    customer = factories.customer(company, now)
    _debt(company, customer, "300.00", DAY - timedelta(days=20), now)
    dunning_run(company=company, on_date=DAY, now=now)
    assert _case(customer).status == CaseStatus.OPEN

    account = virtual_account_for(company=company, customer_id=customer.pk)
    partly = f"{DAY:%Y-%m-%d};200.00;PLN;prad;;;{account};P1\n"
    header = "booked_on;amount;currency;title;counterparty_name;counterparty_account;account;reference\n"
    statement_import(company=company, file_name="a.csv", content=(header + partly).encode(), now=now)
    dunning_run(company=company, on_date=DAY + timedelta(days=1), now=now)
    case = _case(customer)
    assert case.status == CaseStatus.OPEN and case.overdue_at_last_run == D("100.00")  # not yet paid in full

    rest = partly.replace("200.00", "100.00").replace(";P1", ";P2")
    statement_import(company=company, file_name="b.csv", content=(header + rest).encode(), now=now)
    run = dunning_run(company=company, on_date=DAY + timedelta(days=2), now=now)
    case.refresh_from_db()
    assert (case.status, case.closed_on, case.close_reason) == (
        CaseStatus.CLOSED,
        DAY + timedelta(days=2),
        "Debt paid",
    )
    assert case.overdue_at_last_run == D("0.00") and run.counts["closed"] == 1
    assert case.events.filter(kind=CaseEventKind.CLOSED).count() == 1

    # a new debt later opens a new case; the closed one stays closed
    _debt(company, customer, "50.00", DAY, now)
    dunning_run(company=company, on_date=DAY + timedelta(days=10), now=now)
    assert DunningCase.objects.filter(customer=customer).count() == 2
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_a_case_is_paused_and_resumed_only_with_a_reason(company, policy, now):
    customer = factories.customer(company, now)
    _debt(company, customer, "300.00", DAY - timedelta(days=20), now)
    dunning_run(company=company, on_date=DAY, now=now)
    case = _case(customer)
    for reason in ("", "   "):
        with pytest.raises(ValidationFailed) as refused:
            case_pause(case=case, reason=reason, made_by="anna", on_date=DAY, now=now)
        assert refused.value.field == "reason"
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and not case.events.filter(kind=CaseEventKind.PAUSED).exists()

    case = case_pause(case=case, reason="  Promised to pay on Friday ", made_by="anna", on_date=DAY, now=now)
    assert (case.status, case.hold_reason) == (CaseStatus.PAUSED, "Promised to pay on Friday")
    event = case.events.get(kind=CaseEventKind.PAUSED)
    assert (event.made_by, event.text) == ("anna", "Promised to pay on Friday")
    with pytest.raises(ValidationFailed):  # paused already
        case_pause(case=case, reason="again", made_by="anna", on_date=DAY, now=now)
    with pytest.raises(ValidationFailed):
        case_resume(case=case, reason=" ", made_by="anna", on_date=DAY, now=now)
    case.refresh_from_db()
    assert case.status == CaseStatus.PAUSED

    # a paused case stays paused through the nights, whatever its debt does
    dunning_run(company=company, on_date=DAY + timedelta(days=5), now=now)
    case.refresh_from_db()
    assert case.status == CaseStatus.PAUSED and case.step.name == "Reminder"
    case = case_resume(
        case=case, reason="Did not pay", made_by="anna", on_date=DAY + timedelta(days=5), now=now
    )
    assert case.status == CaseStatus.OPEN and case.hold_reason == ""
    with pytest.raises(ValidationFailed):
        case_note_add(case=case, text=" ", made_by="anna", on_date=DAY, now=now)


def test_a_case_closed_by_hand(company, policy, now):
    customer = factories.customer(company, now)
    _debt(company, customer, "300.00", DAY - timedelta(days=20), now)
    dunning_run(company=company, on_date=DAY, now=now)
    case = _case(customer)
    with pytest.raises(ValidationFailed) as refused:
        case_close(case=case, reason="", made_by="anna", on_date=DAY, now=now)
    assert refused.value.field == "reason"
    assert _case(customer).status == CaseStatus.OPEN

    case = case_close(case=case, reason="Handed to the court", made_by="anna", on_date=DAY, now=now)
    assert (case.status, case.closed_on, case.close_reason) == (CaseStatus.CLOSED, DAY, "Handed to the court")
    assert case.events.get(kind=CaseEventKind.CLOSED).made_by == "anna"
    with pytest.raises(ValidationFailed):
        case_close(case=case, reason="again", made_by="anna", on_date=DAY, now=now)
    with pytest.raises(ValidationFailed):
        case_pause(case=case, reason="x", made_by="anna", on_date=DAY, now=now)
    assert case.events.filter(kind=CaseEventKind.CLOSED).count() == 1


def test_a_rejected_step_leaves_the_case_where_it_was(company, now):
    policy = _policy(
        company,
        steps=[
            ("Reminder", DunningActionKind.REMINDER, 3, None, "0.00", False),
            ("Demand", DunningActionKind.DEMAND_LETTER, 7, 1, "25.00", True),
        ],
    )
    customer = factories.customer(company, now)
    _debt(company, customer, "300.00", DAY - timedelta(days=20), now)
    dunning_run(company=company, on_date=DAY, now=now)
    dunning_run(company=company, on_date=DAY + timedelta(days=1), now=now)
    case = _case(customer)
    assert case.awaiting_approval and case.step.name == "Reminder" and case.policy == policy
    notices = Notice.objects.count()

    with pytest.raises(ValidationFailed):  # a rejection says why
        case_step_decide(case=case, approve=False, reason="", made_by="boss", on_date=DAY, now=now)
    assert _case(customer).awaiting_approval

    case = case_step_decide(
        case=case,
        approve=False,
        reason="Customer in hospital",
        made_by="boss",
        on_date=DAY + timedelta(days=1),
        now=now,
    )
    assert not case.awaiting_approval and case.status == CaseStatus.OPEN
    assert case.step.name == "Reminder" and case.step_on == DAY
    rejected = case.events.get(kind=CaseEventKind.REJECTED)
    assert (rejected.step.name, rejected.made_by, rejected.text) == ("Demand", "boss", "Customer in hospital")
    assert Notice.objects.count() == notices
    assert not LedgerEntry.objects.filter(kind=LedgerEntryKind.FEE).exists()
    with pytest.raises(ValidationFailed):  # nothing waits any more
        case_step_decide(case=case, approve=True, reason="", made_by="boss", on_date=DAY, now=now)
    assert not case.events.filter(kind=CaseEventKind.STEP, step__name="Demand").exists()


def test_approval_after_the_debt_was_paid_takes_no_step(company, now):
    _policy(
        company,
        steps=[
            ("Notice", DunningActionKind.DISCONNECTION_NOTICE, 3, None, "0.00", False),
            ("Disconnect", DunningActionKind.DISCONNECTION_ORDER, 30, 1, "0.00", True),
        ],
    )
    customer = factories.customer(company, now)
    factories.supply_point(company, customer, now)
    _debt(company, customer, "900.00", DAY - timedelta(days=60), now)
    dunning_run(company=company, on_date=DAY, now=now)
    dunning_run(company=company, on_date=DAY + timedelta(days=15), now=now)
    case = _case(customer)
    assert case.awaiting_approval
    ledger_post_many(
        company=company,
        postings=[
            Posting(
                customer.pk,
                "payment",
                "bank_transaction",
                next(_ids),
                "P",
                D("-900.00"),
                DAY + timedelta(days=15),
                None,
            )
        ],
        now=now,
    )
    ledger_allocate(customer=customer, now=now)
    with pytest.raises(ValidationFailed):
        case_step_decide(
            case=case, approve=True, reason="ok", made_by="boss", on_date=DAY + timedelta(days=15), now=now
        )
    assert not GridOrder.objects.exists()
    dunning_run(company=company, on_date=DAY + timedelta(days=16), now=now)
    assert _case(customer).status == CaseStatus.CLOSED and not GridOrder.objects.exists()


def test_one_companys_run_never_touches_another_companys_customers(company, other_company, now):
    _policy(company)
    _policy(other_company, reminder_days_before_due=5)
    # the same person is a customer of both companies
    ours = factories.customer(company, now, first_name="Jan", last_name="Kowalski")
    theirs = factories.customer(other_company, now, first_name="Jan", last_name="Kowalski")
    _debt(company, ours, "300.00", DAY - timedelta(days=20), now)
    _debt(other_company, theirs, "700.00", DAY - timedelta(days=20), now)
    _debt(other_company, theirs, "90.00", DAY + timedelta(days=2), now)  # due soon: their reminder

    for night in range(3):
        dunning_run(company=company, on_date=DAY + timedelta(days=night), now=now)
    assert set(DunningCase.objects.values_list("company", "customer")) == {(company.pk, ours.pk)}
    assert _case(ours).overdue_at_last_run == D("300.00")
    assert not Notice.objects.filter(customer=theirs).exists()
    assert not Notice.objects.exclude(company=company).exists()
    assert not LedgerEntry.objects.filter(customer=theirs, kind=LedgerEntryKind.FEE).exists()
    assert DunningRun.objects.filter(company=other_company).count() == 0
    assert set(DunningEvent.objects.values_list("case__company", flat=True)) == {company.pk}

    dunning_run(company=other_company, on_date=DAY, now=now)
    theirs_case = _case(theirs)
    assert theirs_case.company == other_company and theirs_case.overdue_at_last_run == D("700.00")
    assert _case(ours).step.name == "Notice"  # untouched by the other company's night
    assert set(Notice.objects.filter(company=other_company).values_list("customer", flat=True)) == {theirs.pk}

    # paying our debt closes our case only
    ledger_post_many(
        company=company,
        postings=[Posting(ours.pk, "payment", "bank_transaction", next(_ids), "P", D("-310.00"), DAY, None)],
        now=now,
    )
    ledger_allocate(customer=ours, now=now)
    dunning_run(company=company, on_date=DAY + timedelta(days=3), now=now)
    assert _case(ours).status == CaseStatus.CLOSED
    assert _case(theirs).status == CaseStatus.OPEN
    # and the other company's staff operations on their case leave ours alone
    case_close(case=theirs_case, reason="Sold to an agency", made_by="rita", on_date=DAY, now=now)
    assert DunningCase.objects.get(customer=ours).close_reason == "Debt paid"
