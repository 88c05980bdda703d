"""Instalment plans: a debt split into dated instalments, followed against the payments that arrive.

A plan covers ledger entries (the debts agreed). What was paid of them after the agreement is the sum of
allocations to them less what was already paid when agreed; instalment *k* is met when that reaches the
sum of instalments 1..k. A plan is broken when an unmet instalment is more than its grace days late, and
completed when the covered debts are paid in full. While a plan is active the account's dunning case waits.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from kilowatt.collections.models import Instalment, InstalmentPlan, PlanStatus
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Company
from kilowatt.core.money import ZERO
from kilowatt.finance.models import Allocation, LedgerEntry
from kilowatt.parties.models import Customer

MAX_INSTALMENTS = 36


def _paid(entry_ids: list[int]) -> Decimal:
    return Allocation.objects.filter(debit_id__in=entry_ids).aggregate(s=Sum("amount"))["s"] or ZERO


@transaction.atomic
def instalment_plan_create(
    *,
    customer: Customer,
    entries: list[LedgerEntry],
    count: int,
    first_due: date,
    grace_days: int,
    created_by: str,
    on_date: date,
    now: datetime,
) -> InstalmentPlan:
    """Split the open amount of these debts into ``count`` monthly instalments from ``first_due`` (the last
    one takes the rounding)."""
    if not entries:
        raise ValidationFailed.single("entries", _("Choose at least one open debt."))
    if any(e.customer_id != customer.pk or e.amount <= 0 for e in entries):
        raise ValidationFailed.single("entries", _("Only debts of this customer go into a plan."))
    if not 2 <= count <= MAX_INSTALMENTS:
        raise ValidationFailed.single(
            "count", _("A plan has between 2 and %(max)d instalments.") % {"max": MAX_INSTALMENTS}
        )
    if not 0 <= grace_days <= 365:
        raise ValidationFailed.single("grace_days", _("Days of grace are between 0 and 365."))
    if first_due < on_date:
        raise ValidationFailed.single("first_due", _("The first instalment cannot be due in the past."))
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    ids = [e.pk for e in entries]
    paid = _paid(ids)
    total = sum((e.amount for e in entries), ZERO) - paid
    if total <= 0:
        raise ValidationFailed.single("entries", _("These debts are already paid."))
    part = (total / count).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    plan = InstalmentPlan.objects.create(
        company_id=customer.company_id,
        customer=customer,
        total=total,
        paid_before=paid,
        grace_days=grace_days,
        agreed_on=on_date,
        created_by=created_by,
        created_at=now,
    )
    plan.entries.set(ids)
    Instalment.objects.bulk_create(
        Instalment(
            plan=plan,
            number=n + 1,
            due_date=first_due + relativedelta(months=n),
            amount=part if n < count - 1 else total - part * (count - 1),
        )
        for n in range(count)
    )
    return plan


def plan_progress(*, plan: InstalmentPlan, on_date: date) -> list[tuple[Instalment, Decimal, bool]]:
    """Each instalment with what of it is paid and whether it is late on ``on_date``."""
    paid = (
        Allocation.objects.filter(debit__instalment_plans=plan).aggregate(s=Sum("amount"))["s"] or ZERO
    ) - plan.paid_before
    rows = []
    for instalment in sorted(plan.instalments.all(), key=lambda i: i.number):
        covered = min(max(paid, ZERO), instalment.amount)
        paid -= instalment.amount
        rows.append((instalment, covered, covered < instalment.amount and instalment.due_date < on_date))
    return rows


def plans_check(*, company: Company, on_date: date, now: datetime) -> int:
    """Complete paid plans and break those with an instalment late beyond grace; returns plans broken."""
    broken = 0
    for plan in InstalmentPlan.objects.filter(company=company, status=PlanStatus.ACTIVE).prefetch_related(
        "instalments"
    ):
        progress = plan_progress(plan=plan, on_date=on_date)
        if all(covered == instalment.amount for instalment, covered, _late in progress):
            plan.status, plan.ended_on = PlanStatus.COMPLETED, on_date
            plan.save(update_fields=["status", "ended_on"])
        elif any(
            late and (on_date - instalment.due_date).days > plan.grace_days
            for instalment, _c, late in progress
        ):
            plan.status, plan.ended_on = PlanStatus.BROKEN, on_date
            plan.save(update_fields=["status", "ended_on"])
            broken += 1
    return broken
