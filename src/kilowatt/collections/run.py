"""The nightly collections run of a company: reminders before due dates, and every dunning case advanced.

Set-wise, so it scales to millions of accounts: one aggregate query finds who owes what past its due
date; cases, events, notices and fees are written in bulk. Per customer account, in order:

1. a case whose debt is paid is closed (and a disconnected supply point is ordered back on);
2. instalment plans are checked: a plan whose instalment is more than its grace days late is broken;
3. a case is blocked while the debt is disputed, the customer is vulnerable, or a plan is active, and
   opens again when that ends;
4. an overdue account without a case gets one, under the first policy that applies to it;
5. an open case takes at most one step a night: the next step of its policy whose triggers all hold.
   A step that needs approval waits for a person; a disconnection is ordered only after a notice of
   intended disconnection whose 14-day deadline has passed.

Running the same day again does nothing new: cases remember the day of their last step, notices and
fees are written once per step.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kilowatt.collections.instalments import plans_check
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
    NoticeKind,
    NoticeStatus,
    OrderKind,
    OrderStatus,
)
from kilowatt.collections.notices import DISCONNECTION_NOTICE_DAYS, channel_for, notice_write
from kilowatt.collections.queries import customers_disputing, customers_on_plan, overdue_by_customer
from kilowatt.collections.work import NightWork, next_step, step_take, work_write
from kilowatt.core.bulk import gc_paused, rows_insert
from kilowatt.core.clock import WARSAW
from kilowatt.core.models import Company
from kilowatt.core.money import HALF_GROSZ, ZERO, money_round
from kilowatt.finance.models import Allocation, LedgerEntry, LedgerEntryKind
from kilowatt.finance.queries import customer_overdue
from kilowatt.parties.models import Customer

CHUNK = 5000


def policy_for(policies: list[DunningPolicy], customer_kind: str, segment: str) -> DunningPolicy | None:
    for policy in policies:
        if policy.customer_kind and policy.customer_kind != customer_kind:
            continue
        if policy.segment and policy.segment != segment:
            continue
        return policy
    return None


def dunning_run(*, company: Company, on_date: date, now: datetime) -> DunningRun:
    """Run the night of ``on_date`` for the company (in one transaction); send its notices afterwards."""
    from kilowatt.collections.notices import notices_dispatch

    with gc_paused():
        run = _run_in_transaction(company=company, on_date=on_date, now=now)
    run.counts.update(notices_dispatch(company=company, on_date=on_date, now=now))
    DunningRun.objects.filter(pk=run.pk).update(counts=run.counts)
    return run


@transaction.atomic
def _run_in_transaction(*, company: Company, on_date: date, now: datetime) -> DunningRun:
    run, _created = DunningRun.objects.select_for_update().get_or_create(
        company=company, on_date=on_date, defaults={"started_at": now}
    )
    work = NightWork(company, on_date, now)
    policies = sorted(
        DunningPolicy.objects.filter(company=company, is_active=True).prefetch_related("steps"),
        key=lambda p: (p.priority, p.pk),
    )
    steps = {p.pk: sorted(p.steps.all(), key=lambda s: s.position) for p in policies}
    work.counts["plans_broken"] = plans_check(company=company, on_date=on_date, now=now)
    overdue = overdue_by_customer(company=company, on_date=on_date)
    work.counts["overdue"] = len(overdue)
    cases = {
        c.customer_id: c
        # Locked for the run: a pause or an approval by staff meanwhile waits, and is not overwritten.
        for c in DunningCase.objects.filter(company=company)
        .exclude(status=CaseStatus.CLOSED)
        .select_related("step")
        .select_for_update(of=("self",))
    }
    concerned = sorted(set(overdue) | set(cases))
    customers: dict[int, Customer] = {}
    for start in range(0, len(concerned), CHUNK):
        customers.update(
            Customer.objects.filter(pk__any_of=concerned[start : start + CHUNK])
            .select_related("address", "correspondence_address")
            .in_bulk()
        )
    holds = _holds(company, customers)
    closed_by_hand = _closed_by_hand(company, [c for c in overdue if c not in cases], on_date)

    closing = [case for customer_id, case in cases.items() if customer_id not in overdue]
    for case in closing:
        _close_paid(work, case)
    _orders_after_closing(work, closing)
    fresh = []
    for customer_id, (amount, _oldest) in overdue.items():
        if customer_id in cases or customer_id in closed_by_hand:
            continue  # a person closed the case of these very debts: they are not dunned again
        customer = customers[customer_id]
        policy = policy_for(policies, customer.kind, customer.segment)
        first = steps[policy.pk][0] if policy and steps[policy.pk] else None
        if policy is None or first is None or amount < first.minimum_amount:
            continue
        fresh.append(DunningCase(company=company, customer=customer, policy=policy, opened_on=on_date))
    rows_insert(model=DunningCase, objects=fresh)
    for case in fresh:
        cases[case.customer_id] = case
        work.event(case, CaseEventKind.OPENED, amount=overdue[case.customer_id][0])
    work.counts["opened"] += len(fresh)
    for customer_id, (amount, oldest_due) in overdue.items():
        case = cases.get(customer_id)
        if case is None:
            continue
        case.customer = customers[customer_id]
        if case.overdue_at_last_run != amount:
            case.overdue_at_last_run = amount
            work.changed[case.pk] = case
        if _held(work, case, holds.get(customer_id, "")):
            continue
        if case.status == CaseStatus.OPEN and not case.awaiting_approval:
            _advance(work, case, steps[case.policy_id], amount, oldest_due)

    _reminders_before_due(work, policies)
    work_write(work)
    run.finished_at = now
    run.counts = {
        key: value + (run.counts.get(key, 0) if key != "overdue" else 0) for key, value in work.counts.items()
    }
    run.save(update_fields=["finished_at", "counts"])
    return run


def _closed_by_hand(company: Company, customer_ids: list[int], on_date: date) -> set[int]:
    """Customers whose case a person closed and who owe nothing that fell due since: not dunned again."""
    closed: dict[int, date] = {}
    for start in range(0, len(customer_ids), CHUNK):
        rows = DunningEvent.objects.filter(
            case__company=company,
            case__customer_id__any_of=customer_ids[start : start + CHUNK],
            kind=CaseEventKind.CLOSED,
        ).exclude(made_by="")
        for customer_id, day in rows.values_list("case__customer_id", "on_date"):
            closed[customer_id] = max(day, closed.get(customer_id, day))
    if not closed:
        return set()
    newest: dict[int, date] = {}
    overdue_debts = (
        LedgerEntry.objects.filter(customer_id__any_of=list(closed), amount__gt=0, due_date__lt=on_date)
        .annotate(paid=Sum("allocations_received__amount"))
        .filter(Q(paid__isnull=True) | Q(paid__lt=F("amount") - HALF_GROSZ))
        .values_list("customer_id", "due_date")
    )
    for customer_id, due in overdue_debts:
        newest[customer_id] = max(due, newest.get(customer_id, due))
    return {c for c, day in closed.items() if newest.get(c, date.min) <= day}


def _holds(company: Company, customers: dict[int, Customer]) -> dict[int, str]:
    holds: dict[int, str] = {}
    for customer_id in customers_on_plan(company=company):
        holds[customer_id] = str(_("an instalment plan is active"))
    for customer in customers.values():
        if customer.is_vulnerable:
            holds[customer.pk] = str(_("the customer is protected as vulnerable"))
    for customer_id in customers_disputing(company=company):
        holds[customer_id] = str(_("a complaint about the debt is pending"))
    return holds


def _held(work: NightWork, case: DunningCase, reason: str) -> bool:
    """Block or unblock the case by its holds; True when it must not move tonight."""
    if reason and case.status == CaseStatus.OPEN:
        case.status, case.hold_reason = CaseStatus.BLOCKED, reason
        work.changed[case.pk] = case
        work.event(case, CaseEventKind.BLOCKED, reason)
        work.counts["blocked"] += 1
    elif not reason and case.status == CaseStatus.BLOCKED:
        case.status, case.hold_reason = CaseStatus.OPEN, ""
        work.changed[case.pk] = case
        work.event(case, CaseEventKind.UNBLOCKED)
        work.counts["unblocked"] += 1
        return True  # a case released tonight takes its next step tomorrow, with the debt looked at afresh
    return case.status != CaseStatus.OPEN


def _close_paid(work: NightWork, case: DunningCase) -> None:
    case.status, case.closed_on, case.close_reason = CaseStatus.CLOSED, work.on_date, str(_("Debt paid"))
    case.awaiting_approval, case.overdue_at_last_run = False, ZERO
    work.changed[case.pk] = case
    work.event(case, CaseEventKind.CLOSED, case.close_reason, amount=ZERO)
    work.counts["closed"] += 1


def _orders_after_closing(work: NightWork, closed: list[DunningCase]) -> None:
    """Of the disconnections ordered for the cases closed tonight, an order the DSO has not carried out yet
    is withdrawn and a supply point already off is ordered back on."""
    ids = [case.pk for case in closed]
    by_pk = {case.pk: case for case in closed}
    for start in range(0, len(ids), CHUNK):
        orders = GridOrder.objects.filter(
            case_id__any_of=ids[start : start + CHUNK], kind=OrderKind.DISCONNECTION
        )
        orders.filter(status=OrderStatus.SENT).update(status=OrderStatus.CANCELLED)
        for case_id, point_id in orders.filter(status=OrderStatus.DONE).values_list(
            "case_id", "supply_point_id"
        ):
            work.orders.append(
                GridOrder(
                    company=work.company,
                    case=by_pk[case_id],
                    supply_point_id=point_id,
                    kind=OrderKind.RECONNECTION,
                    ordered_on=work.on_date,
                )
            )


def _triggers_hold(
    work: NightWork, case: DunningCase, step: DunningStep, amount: Decimal, oldest_due: date
) -> bool:
    if amount < step.minimum_amount:
        return False
    if step.days_after_due is not None and (work.on_date - oldest_due).days < step.days_after_due:
        return False
    if case.step_on is not None:
        if case.step_on >= work.on_date:
            return False  # one step a night
        if (
            step.days_after_previous is not None
            and (work.on_date - case.step_on).days < step.days_after_previous
        ):
            return False
    stops_supply = step.action in (
        DunningActionKind.DISCONNECTION_NOTICE,
        DunningActionKind.DISCONNECTION_ORDER,
    )
    # Supply is stopped only for unpaid energy, never for fees or interest alone.
    energy = (LedgerEntryKind.INVOICE, LedgerEntryKind.CORRECTION)
    if stops_supply and customer_overdue(customer=case.customer, on_date=work.on_date, kinds=energy) < max(
        step.minimum_amount, HALF_GROSZ
    ):
        return False
    # A disconnection only after the law's 14 days from a written notice actually sent.
    return step.action != DunningActionKind.DISCONNECTION_ORDER or notice_deadline_passed(
        case=case, on_date=work.on_date
    )


def notice_deadline_passed(*, case: DunningCase, on_date: date) -> bool:
    """A notice of intended disconnection was sent (or printed) and 14 days have passed since."""
    sent = (
        Notice.objects.filter(
            case=case,
            kind=NoticeKind.DISCONNECTION_NOTICE,
            status__in=[NoticeStatus.SENT, NoticeStatus.PRINTED],
            sent_at__isnull=False,
        )
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    return (
        sent is not None
        and timezone.localdate(sent, WARSAW) + timedelta(days=DISCONNECTION_NOTICE_DAYS) < on_date
    )


def _advance(
    work: NightWork, case: DunningCase, steps: list[DunningStep], amount: Decimal, oldest_due: date
) -> None:
    step = next_step(case, steps)
    if step is None or not _triggers_hold(work, case, step, amount, oldest_due):
        return
    if step.requires_approval:
        case.awaiting_approval = True
        work.changed[case.pk] = case
        work.event(case, CaseEventKind.APPROVAL_NEEDED, step.name, step=step, amount=amount)
        work.counts["awaiting"] += 1
        return
    step_take(work=work, case=case, step=step, amount=amount, oldest_due=oldest_due)


def _reminders_before_due(work: NightWork, policies: list[DunningPolicy]) -> None:
    """A reminder a few days before a debt falls due, once per debt, by the policy of its customer."""
    reach = max((p.reminder_days_before_due or 0 for p in policies), default=0)
    if not reach:
        return
    upcoming = list(
        LedgerEntry.objects.filter(
            company=work.company,
            amount__gt=0,
            due_date__gt=work.on_date,
            due_date__lte=work.on_date + timedelta(days=reach),
            kind__in=[LedgerEntryKind.INVOICE, LedgerEntryKind.NOTE, LedgerEntryKind.INTEREST],
        )
        .exclude(notices__kind=NoticeKind.DUE_SOON)
        .select_related("customer", "customer__address", "customer__correspondence_address")
    )
    if not upcoming:
        return
    paid = _settled(upcoming)
    for entry in upcoming:
        left = money_round(entry.amount - paid.get(entry.pk, ZERO))
        if left <= 0:
            continue
        policy = policy_for(policies, entry.customer.kind, entry.customer.segment)
        assert entry.due_date is not None
        if policy is None or not policy.reminder_days_before_due:
            continue
        if (entry.due_date - work.on_date).days > policy.reminder_days_before_due:
            continue
        notice = notice_write(
            company=work.company,
            customer=entry.customer,
            kind=NoticeKind.DUE_SOON,
            channel=channel_for(customer=entry.customer, wanted=policy.reminder_channel),
            amount=left,
            due=entry.due_date,
            on_date=work.on_date,
            items=[
                {
                    "document_number": entry.document_number,
                    "due_date": entry.due_date.isoformat(),
                    "amount": str(entry.amount),
                    "open_amount": str(left),
                }
            ],
        )
        notice.entry = entry
        work.notices.append(notice)
        work.counts["due_soon"] += 1


def _settled(entries: list[LedgerEntry]) -> dict[int, Decimal]:
    return dict(
        Allocation.objects.filter(debit_id__any_of=[e.pk for e in entries])
        .values("debit_id")
        .annotate(s=Sum("amount"))
        .values_list("debit_id", "s")
    )
