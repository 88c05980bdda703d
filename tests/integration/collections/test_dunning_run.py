"""The nightly collections run: reminders before due dates, cases advanced one step a night, fees, holds
(dispute, vulnerable customer, instalment plan), disconnection only after the notice's 14 days, cases
closed when paid, reconnection ordered; the same night twice changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail

from kilowatt.collections.instalments import instalment_plan_create
from kilowatt.collections.models import (
    CaseEventKind,
    CaseStatus,
    DunningActionKind,
    DunningCase,
    DunningPolicy,
    DunningStep,
    GridOrder,
    Notice,
    NoticeKind,
    NoticeStatus,
    OrderKind,
    PlanStatus,
)
from kilowatt.collections.operations import (
    case_pause,
    case_resume,
    case_step_decide,
    debt_dispute_close,
    debt_dispute_open,
)
from kilowatt.collections.run import dunning_run
from kilowatt.core.errors import ValidationFailed
from kilowatt.finance.allocation import ledger_allocate
from kilowatt.finance.models import LedgerEntry, LedgerEntryKind
from kilowatt.finance.operations import Posting, ledger_post_many
from tests import factories

pytestmark = pytest.mark.django_db
D = Decimal
DAY = date(2026, 3, 10)


@pytest.fixture
def policy(company):
    company.bank_account_prefix = "109010147777"
    company.street, company.postal_code, company.city = "ul. Prosta 20", "00-850", "Warszawa"
    company.save()
    policy = DunningPolicy.objects.create(company=company, name="Households", reminder_days_before_due=3)
    for position, (name, action, after_due, after_previous, fee, approval) in enumerate(
        [
            ("Reminder", DunningActionKind.REMINDER, 3, None, "0.00", False),
            ("Demand", DunningActionKind.DEMAND_LETTER, 7, 1, "10.00", False),
            ("Notice", DunningActionKind.DISCONNECTION_NOTICE, 14, 1, "0.00", False),
            ("Disconnect", DunningActionKind.DISCONNECTION_ORDER, 30, 1, "0.00", True),
        ]
    ):
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


_documents = iter(range(1, 10**6))


def _debt(company, customer, amount, due, now, kind="invoice"):
    number = f"FV/{next(_documents):06d}/2026"
    ledger_post_many(
        company=company,
        postings=[
            Posting(customer.pk, kind, kind, next(_documents), number, D(amount), due - timedelta(14), due)
        ],
        now=now,
    )
    return LedgerEntry.objects.get(document_number=number)


def _pay(company, customer, amount, on, now):
    ledger_post_many(
        company=company,
        postings=[
            Posting(customer.pk, "payment", "bank_transaction", next(_documents), "P", -D(amount), on, None)
        ],
        now=now,
    )
    ledger_allocate(customer=customer, now=now)


def test_two_nights_two_steps_with_notices_and_a_fee(company, policy, now, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    late = factories.customer(company, now)
    late.email, late.preferred_channel = "late@example.com", "email"
    late.save()
    _debt(company, late, "300.00", DAY - timedelta(days=20), now)

    first = dunning_run(company=company, on_date=DAY, now=now)
    case = DunningCase.objects.get(customer=late)
    assert case.step.name == "Reminder" and case.overdue_at_last_run == D("300.00")
    assert first.counts["opened"] == 1 and first.counts["steps"] == 1
    assert [m.to for m in mail.outbox] == [["late@example.com"]]
    assert "300,00" in mail.outbox[0].body

    again = dunning_run(company=company, on_date=DAY, now=now)  # the same night twice: nothing new
    assert again.pk == first.pk
    assert DunningCase.objects.get(pk=case.pk).step.name == "Reminder"
    assert Notice.objects.filter(customer=late).count() == 1

    dunning_run(company=company, on_date=DAY + timedelta(days=1), now=now)
    case.refresh_from_db()
    assert case.step.name == "Demand"
    fee = LedgerEntry.objects.get(customer=late, kind=LedgerEntryKind.FEE)
    assert fee.amount == D("10.00") and fee.document_number.startswith("OP/")
    assert [e.kind for e in case.events.order_by("pk")] == ["opened", "step", "step"]
    demand = Notice.objects.get(customer=late, kind=NoticeKind.DEMAND_LETTER)
    assert demand.status == NoticeStatus.SENT and len(mail.outbox) == 2


def test_reminder_before_due_once_and_letters_printed(company, policy, now):
    soon = factories.customer(company, now)
    soon.preferred_channel = "paper"
    soon.save()
    entry = _debt(company, soon, "120.00", DAY + timedelta(days=2), now)
    _debt(company, soon, "50.00", DAY + timedelta(days=9), now)  # too far ahead
    dunning_run(company=company, on_date=DAY, now=now)
    dunning_run(company=company, on_date=DAY + timedelta(days=1), now=now)
    (notice,) = Notice.objects.filter(customer=soon)
    assert notice.kind == NoticeKind.DUE_SOON and notice.entry == entry, notice.error
    assert not notice.error, notice.error
    assert notice.status == NoticeStatus.PRINTED and notice.print_batch.letters == 1
    assert notice.print_batch.file.read().startswith(b"%PDF")
    assert not DunningCase.objects.filter(customer=soon).exists()


def test_paid_debt_closes_the_case_and_small_debts_wait(company, policy, now):
    payer = factories.customer(company, now)
    _debt(company, payer, "200.00", DAY - timedelta(days=10), now)
    dunning_run(company=company, on_date=DAY, now=now)
    _pay(company, payer, "200.00", DAY, now)
    run = dunning_run(company=company, on_date=DAY + timedelta(days=1), now=now)
    case = DunningCase.objects.get(customer=payer)
    assert case.status == CaseStatus.CLOSED and run.counts["closed"] == 1


def test_holds_block_and_release_the_case(company, policy, now):
    customer = factories.customer(company, now)
    _debt(company, customer, "500.00", DAY - timedelta(days=40), now)
    dunning_run(company=company, on_date=DAY, now=now)
    dispute = debt_dispute_open(customer=customer, subject="Reading too high", on_date=DAY, now=now)
    dunning_run(company=company, on_date=DAY + timedelta(days=1), now=now)
    case = DunningCase.objects.get(customer=customer)
    assert case.status == CaseStatus.BLOCKED and "complaint" in case.hold_reason
    assert case.step.name == "Reminder"
    debt_dispute_close(dispute=dispute, outcome="Reading confirmed", on_date=DAY + timedelta(days=2))
    dunning_run(company=company, on_date=DAY + timedelta(days=2), now=now)
    dunning_run(company=company, on_date=DAY + timedelta(days=3), now=now)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.step.name == "Demand"

    customer.is_vulnerable = True
    customer.save()
    dunning_run(company=company, on_date=DAY + timedelta(days=4), now=now)
    case.refresh_from_db()
    assert case.status == CaseStatus.BLOCKED and case.step.name == "Demand"


def test_instalment_plan_holds_the_case_until_broken(company, policy, now):
    customer = factories.customer(company, now)
    debt = _debt(company, customer, "600.00", DAY - timedelta(days=40), now)
    dunning_run(company=company, on_date=DAY, now=now)
    plan = instalment_plan_create(
        customer=customer,
        entries=[debt],
        count=3,
        first_due=DAY + timedelta(days=5),
        grace_days=7,
        created_by="staff",
        on_date=DAY,
        now=now,
    )
    assert [i.amount for i in plan.instalments.all()] == [D("200.00")] * 3
    dunning_run(company=company, on_date=DAY + timedelta(days=1), now=now)
    assert DunningCase.objects.get(customer=customer).status == CaseStatus.BLOCKED
    _pay(company, customer, "200.00", DAY + timedelta(days=5), now)
    dunning_run(company=company, on_date=DAY + timedelta(days=20), now=now)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    # the second instalment (due day 5 + 1 month) is not paid: broken after 7 days of grace
    dunning_run(company=company, on_date=DAY + timedelta(days=5 + 31 + 8), now=now)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.BROKEN
    dunning_run(company=company, on_date=DAY + timedelta(days=5 + 31 + 9), now=now)
    assert DunningCase.objects.get(customer=customer).status == CaseStatus.OPEN


def test_disconnection_waits_for_the_notice_deadline_and_approval_then_reconnects(company, policy, now):
    customer = factories.customer(company, now)
    point = factories.supply_point(company, customer, now)
    _debt(company, customer, "900.00", DAY - timedelta(days=60), now)
    for night in range(3):  # reminder, demand, notice of intended disconnection
        dunning_run(company=company, on_date=DAY + timedelta(days=night), now=now)
    case = DunningCase.objects.get(customer=customer)
    notice = Notice.objects.get(case=case, kind=NoticeKind.DISCONNECTION_NOTICE)
    assert notice.channel == "letter" and notice.deadline == DAY + timedelta(days=2 + 14)
    dunning_run(company=company, on_date=DAY + timedelta(days=10), now=now)
    case.refresh_from_db()
    assert not case.awaiting_approval  # the 14 days have not passed
    dunning_run(company=company, on_date=DAY + timedelta(days=17), now=now)
    case.refresh_from_db()
    assert case.awaiting_approval and not GridOrder.objects.exists()
    with pytest.raises(ValidationFailed):
        case_pause(case=case, reason="", made_by="staff", on_date=DAY, now=now)
    case_step_decide(
        case=case, approve=True, reason="ok", made_by="boss", on_date=DAY + timedelta(days=17), now=now
    )
    order = GridOrder.objects.get(case=case)
    assert order.kind == OrderKind.DISCONNECTION and order.supply_point == point and order.dso_reference
    assert case.events.filter(kind=CaseEventKind.APPROVED, made_by="boss").exists()

    _pay(company, customer, "910.00", DAY + timedelta(days=18), now)
    dunning_run(company=company, on_date=DAY + timedelta(days=19), now=now)
    assert GridOrder.objects.filter(case=case, kind=OrderKind.RECONNECTION).count() == 1
    assert DunningCase.objects.get(pk=case.pk).status == CaseStatus.CLOSED


def test_paused_case_does_not_move(company, policy, now):
    customer = factories.customer(company, now)
    _debt(company, customer, "300.00", DAY - timedelta(days=20), now)
    dunning_run(company=company, on_date=DAY, now=now)
    case = DunningCase.objects.get(customer=customer)
    case_pause(case=case, reason="Customer promised to pay on Friday", made_by="anna", on_date=DAY, now=now)
    dunning_run(company=company, on_date=DAY + timedelta(days=1), now=now)
    case.refresh_from_db()
    assert case.status == CaseStatus.PAUSED and case.step.name == "Reminder"
    case_resume(case=case, reason="Not paid", made_by="anna", on_date=DAY + timedelta(days=2), now=now)
    dunning_run(company=company, on_date=DAY + timedelta(days=2), now=now)
    case.refresh_from_db()
    assert case.step.name == "Demand"


def test_a_case_closed_by_hand_is_not_reopened_for_the_same_debt_but_for_a_new_one(company, policy, now):
    from kilowatt.collections.operations import case_close

    customer = factories.customer(company, now)
    _debt(company, customer, "300.00", DAY - timedelta(days=20), now)
    dunning_run(company=company, on_date=DAY, now=now)
    case = DunningCase.objects.get(customer=customer)
    case_close(case=case, reason="Handed to the legal team", made_by="anna", on_date=DAY, now=now)
    dunning_run(company=company, on_date=DAY + timedelta(days=1), now=now)
    assert DunningCase.objects.filter(customer=customer).count() == 1
    _debt(company, customer, "80.00", DAY + timedelta(days=5), now)  # a new bill, due later, unpaid
    dunning_run(company=company, on_date=DAY + timedelta(days=10), now=now)
    assert DunningCase.objects.filter(customer=customer, status=CaseStatus.OPEN).count() == 1


def test_paying_withdraws_a_disconnection_the_dso_has_not_carried_out(company, policy, now):
    from kilowatt.collections.models import OrderStatus

    customer = factories.customer(company, now)
    factories.supply_point(company, customer, now)
    _debt(company, customer, "900.00", DAY - timedelta(days=60), now)
    for night in (0, 1, 2, 17):
        dunning_run(company=company, on_date=DAY + timedelta(days=night), now=now)
    case = DunningCase.objects.get(customer=customer)
    case_step_decide(
        case=case, approve=True, reason="", made_by="boss", on_date=DAY + timedelta(days=17), now=now
    )
    GridOrder.objects.filter(case=case).update(status=OrderStatus.SENT, done_on=None)  # the DSO has not acted
    _pay(company, customer, "910.00", DAY + timedelta(days=18), now)  # the debt and the demand's fee
    dunning_run(company=company, on_date=DAY + timedelta(days=19), now=now)
    assert list(GridOrder.objects.filter(case=case).values_list("kind", "status")) == [
        (OrderKind.DISCONNECTION, OrderStatus.CANCELLED)
    ]


def test_letters_keep_their_number_and_go_to_printer_batches_of_bounded_size(company, policy, now, settings):
    from kilowatt.collections import notices as notices_module

    settings.MEDIA_ROOT = settings.VAR_DIR / "test-media"
    notices_module.LETTERS_PER_BATCH, bound = 2, notices_module.LETTERS_PER_BATCH
    try:
        for _ in range(3):
            paper = factories.customer(company, now)
            paper.preferred_channel = "paper"
            paper.save()
            _debt(company, paper, "150.00", DAY - timedelta(days=20), now)
        dunning_run(company=company, on_date=DAY, now=now)
    finally:
        notices_module.LETTERS_PER_BATCH = bound
    letters = Notice.objects.filter(company=company, channel="letter").order_by("pk")
    assert [n.status for n in letters] == [NoticeStatus.PRINTED] * 3
    assert sorted(n.print_batch.letters for n in letters) == [1, 2, 2]
    assert all(n.letter["number"].startswith("PP/") and n.letter["items"] for n in letters)
