"""What staff do with a dunning case: notes, pause and resume (with a reason), approve or reject a step
waiting for approval, close; and debt disputes, which hold a case while they are open."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils.translation import gettext as _

from kilowatt.collections.models import (
    CaseEventKind,
    CaseStatus,
    DebtDispute,
    DunningCase,
    DunningEvent,
    InstalmentPlan,
    PlanStatus,
)
from kilowatt.collections.queries import overdue_by_customer
from kilowatt.core.errors import ValidationFailed
from kilowatt.parties.models import Customer


def _locked(case: DunningCase) -> DunningCase:
    return (
        DunningCase.objects.select_for_update(of=("self",))
        .select_related("customer", "step", "policy")
        .get(pk=case.pk)
    )


def _reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationFailed.single("reason", _("Give a reason."))
    return reason.strip()[:500]


def _event(case: DunningCase, kind: str, text: str, made_by: str, on_date: date, now: datetime, step=None):
    return DunningEvent.objects.create(
        case=case, kind=kind, text=text, made_by=made_by, on_date=on_date, step=step, created_at=now
    )


@transaction.atomic
def case_note_add(
    *, case: DunningCase, text: str, made_by: str, on_date: date, now: datetime
) -> DunningEvent:
    if not text.strip():
        raise ValidationFailed.single("text", _("Write the note."))
    return _event(case, CaseEventKind.NOTE, text.strip()[:500], made_by, on_date, now)


@transaction.atomic
def case_pause(*, case: DunningCase, reason: str, made_by: str, on_date: date, now: datetime) -> DunningCase:
    case = _locked(case)
    if case.status != CaseStatus.OPEN:
        raise ValidationFailed.single("case", _("Only an open case is paused."))
    case.status, case.hold_reason = CaseStatus.PAUSED, _reason(reason)
    case.save(update_fields=["status", "hold_reason"])
    _event(case, CaseEventKind.PAUSED, case.hold_reason, made_by, on_date, now)
    return case


@transaction.atomic
def case_resume(*, case: DunningCase, reason: str, made_by: str, on_date: date, now: datetime) -> DunningCase:
    case = _locked(case)
    if case.status != CaseStatus.PAUSED:
        raise ValidationFailed.single("case", _("Only a paused case is resumed."))
    case.status, case.hold_reason = CaseStatus.OPEN, ""
    case.save(update_fields=["status", "hold_reason"])
    _event(case, CaseEventKind.RESUMED, _reason(reason), made_by, on_date, now)
    return case


@transaction.atomic
def case_close(*, case: DunningCase, reason: str, made_by: str, on_date: date, now: datetime) -> DunningCase:
    case = _locked(case)
    if case.status == CaseStatus.CLOSED:
        raise ValidationFailed.single("case", _("The case is already closed."))
    case.status, case.closed_on, case.close_reason = CaseStatus.CLOSED, on_date, _reason(reason)
    case.awaiting_approval = False
    case.save(update_fields=["status", "closed_on", "close_reason", "awaiting_approval"])
    _event(case, CaseEventKind.CLOSED, case.close_reason, made_by, on_date, now)
    return case


@transaction.atomic
def case_step_decide(
    *, case: DunningCase, approve: bool, reason: str, made_by: str, on_date: date, now: datetime
) -> DunningCase:
    """Approve the step waiting for approval (it is taken now) or reject it (the case stays where it is)."""
    from kilowatt.collections.work import NightWork, next_step, step_take, work_write

    case = _locked(case)
    if not case.awaiting_approval or case.status != CaseStatus.OPEN:
        raise ValidationFailed.single("case", _("No step of this case waits for approval."))
    hold = case_hold_reason(case=case)
    if approve and hold:
        raise ValidationFailed.single(
            "case", _("The step cannot be taken now: %(reason)s.") % {"reason": hold}
        )
    steps = sorted(case.policy.steps.all(), key=lambda s: s.position)
    step = next_step(case, steps)
    if step is None:
        raise ValidationFailed.single("case", _("The policy has no further step."))
    case.awaiting_approval = False
    if not approve:
        case.save(update_fields=["awaiting_approval"])
        _event(case, CaseEventKind.REJECTED, _reason(reason), made_by, on_date, now, step=step)
        return case
    overdue = overdue_by_customer(company=case.company, on_date=on_date).get(case.customer_id)
    if overdue is None:  # paid since the run asked: no notice, fee or disconnection for a paid debt
        raise ValidationFailed.single(
            "case", _("Nothing is overdue any more; the case closes on the next run.")
        )
    _event(case, CaseEventKind.APPROVED, reason.strip()[:500], made_by, on_date, now, step=step)
    amount, oldest_due = overdue
    work = NightWork(case.company, on_date, now)
    step_take(work=work, case=case, step=step, amount=amount, oldest_due=oldest_due)
    work_write(work)
    case.refresh_from_db()
    return case


@transaction.atomic
def debt_dispute_open(*, customer: Customer, subject: str, on_date: date, now: datetime) -> DebtDispute:
    """Record a complaint about the debt; the customer's case is blocked at once (not only at night)."""
    if not subject.strip():
        raise ValidationFailed.single("subject", _("Say what the customer disputes."))
    dispute = DebtDispute.objects.create(
        company_id=customer.company_id, customer=customer, subject=subject.strip()[:200], opened_on=on_date
    )
    reason = str(_("a complaint about the debt is pending"))
    for case in DunningCase.objects.select_for_update().filter(customer=customer, status=CaseStatus.OPEN):
        case.status, case.hold_reason, case.awaiting_approval = CaseStatus.BLOCKED, reason, False
        case.save(update_fields=["status", "hold_reason", "awaiting_approval"])
        DunningEvent.objects.create(
            case=case, kind=CaseEventKind.BLOCKED, text=reason, on_date=on_date, created_at=now
        )
    return dispute


def case_hold_reason(*, case: DunningCase) -> str:
    """Why the case must not move now (an open dispute, a vulnerable customer, an active plan), or ""."""
    if DebtDispute.objects.filter(customer_id=case.customer_id, closed_on__isnull=True).exists():
        return str(_("a complaint about the debt is pending"))
    if case.customer.is_vulnerable:
        return str(_("the customer is protected as vulnerable"))
    if InstalmentPlan.objects.filter(customer_id=case.customer_id, status=PlanStatus.ACTIVE).exists():
        return str(_("an instalment plan is active"))
    return ""


@transaction.atomic
def debt_dispute_close(*, dispute: DebtDispute, outcome: str, on_date: date) -> DebtDispute:
    dispute = DebtDispute.objects.select_for_update().get(pk=dispute.pk)
    if dispute.closed_on is not None:
        raise ValidationFailed.single("dispute", _("The dispute is already closed."))
    dispute.closed_on, dispute.outcome = on_date, _reason(outcome)[:200]
    dispute.save(update_fields=["closed_on", "outcome"])
    return dispute
