"""Back office pages of collections: the cases, the nightly run, a case's stage and history with what
staff do with it (notes, pause, resume, approve, close), disputes and instalment plans of a customer."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kilowatt.collections import operations
from kilowatt.collections.instalments import instalment_plan_create
from kilowatt.collections.models import CaseStatus, DebtDispute, PrintBatch
from kilowatt.collections.queries import case_history, case_of_company, cases_for_list, cases_to_call
from kilowatt.collections.run import dunning_run
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.permissions import VIEW_COLLECTIONS, WORK_COLLECTIONS
from kilowatt.finance.models import LedgerEntry
from kilowatt.finance.queries import customer_open_debts
from kilowatt.interfaces.backoffice.views import customer_panel_redirect, staff_page
from kilowatt.parties.models import Customer
from kilowatt.parties.queries import customer_of_company

CASES_SHOWN = 200


def _date(value: str, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        raise ValidationFailed.single("on_date", _("Enter a date as YYYY-MM-DD.")) from None


@staff_page(VIEW_COLLECTIONS)
def collections_home(request: HttpRequest) -> HttpResponse:
    company = request.company
    today = system_clock.today()
    if request.method == "POST":
        if WORK_COLLECTIONS not in request.permissions:
            return HttpResponse(status=403)
        try:
            night = _date(request.POST.get("on_date", ""), today)
            ahead = settings.COLLECTIONS_NIGHTS_AHEAD
            if night < today or night > today + timedelta(days=ahead):
                raise ValidationFailed.single(
                    "on_date",
                    _("The night can be from %(first)s to %(last)s.")
                    % {"first": today.isoformat(), "last": (today + timedelta(days=ahead)).isoformat()},
                )
            run = dunning_run(company=company, on_date=night, now=system_clock.now())
        except ValidationFailed as failed:
            messages.error(request, failed.message)
        else:
            messages.success(
                request,
                _(
                    "Night of %(day)s: %(overdue)s accounts overdue · cases opened %(opened)s · "
                    "steps taken %(steps)s · waiting for approval %(awaiting)s · closed %(closed)s · "
                    "reminders before due %(due_soon)s"
                )
                % {"day": night.isoformat(), **{k: run.counts.get(k, 0) for k in _COUNTS}},
            )
        return redirect("backoffice:collections")
    status = request.GET.get("status", "")
    runs = list(company.dunning_runs.order_by("-on_date")[:10])
    last_night = today + timedelta(days=settings.COLLECTIONS_NIGHTS_AHEAD)
    next_night = min(max(today, runs[0].on_date + timedelta(days=1)), last_night) if runs else today
    return render(
        request,
        "backoffice/collections/home.html",
        {
            "cases": cases_for_list(company=company, status=status)[:CASES_SHOWN],
            "calls": cases_to_call(company=company)[:CASES_SHOWN],
            "status": status,
            "statuses": CaseStatus.choices,
            "runs": runs,
            "next_night": next_night,
            "batches": PrintBatch.objects.filter(company=company).order_by("-created_at")[:10],
            "can_work": WORK_COLLECTIONS in request.permissions,
        },
    )


_COUNTS = ("overdue", "opened", "steps", "awaiting", "closed", "due_soon")


@staff_page(VIEW_COLLECTIONS)
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_of_company(company=request.company, case_id=case_id)
    if case is None:
        raise Http404
    steps = sorted(case.policy.steps.all(), key=lambda s: s.position)
    return render(
        request,
        "backoffice/collections/case.html",
        {
            "case": case,
            "steps": steps,
            "history": case_history(case=case),
            "notices": case.notices.order_by("-created_on", "-pk"),
            "orders": case.grid_orders.select_related("supply_point"),
            "can_work": WORK_COLLECTIONS in request.permissions,
        },
    )


CASE_ACTIONS = {
    "note": lambda case, post, **kw: operations.case_note_add(case=case, text=post.get("text", ""), **kw),
    "pause": lambda case, post, **kw: operations.case_pause(case=case, reason=post.get("reason", ""), **kw),
    "resume": lambda case, post, **kw: operations.case_resume(case=case, reason=post.get("reason", ""), **kw),
    "close": lambda case, post, **kw: operations.case_close(case=case, reason=post.get("reason", ""), **kw),
    "approve": lambda case, post, **kw: operations.case_step_decide(
        case=case, approve=True, reason=post.get("reason", ""), **kw
    ),
    "reject": lambda case, post, **kw: operations.case_step_decide(
        case=case, approve=False, reason=post.get("reason", ""), **kw
    ),
}


@staff_page(WORK_COLLECTIONS)
@require_POST
def case_action(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_of_company(company=request.company, case_id=case_id)
    if case is None:
        raise Http404
    action = CASE_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        return HttpResponse(status=400)
    try:
        action(
            case,
            request.POST,
            made_by=request.user.get_username(),
            on_date=system_clock.today(),
            now=system_clock.now(),
        )
    except ValidationFailed as failed:
        messages.error(request, failed.message)
    else:
        messages.success(request, _("Done."))
    if request.POST.get("action") in ("approve",):
        from kilowatt.collections.notices import notices_dispatch

        notices_dispatch(company=request.company, on_date=system_clock.today(), now=system_clock.now())
    return redirect("backoffice:collections_case", case_id=case.pk)


@staff_page(VIEW_COLLECTIONS)
def print_batch_download(request: HttpRequest, batch_id: int) -> FileResponse:
    batch = PrintBatch.objects.filter(company=request.company, pk=batch_id).first()
    if batch is None:
        raise Http404
    return FileResponse(
        batch.file.open("rb"), content_type="application/pdf", filename=batch.file.name.split("/")[-1]
    )


def _customer(request: HttpRequest, customer_id: int) -> Customer:
    customer = customer_of_company(company=request.company, customer_id=customer_id)
    if customer is None:
        raise Http404
    return customer


def _back(customer: Customer) -> HttpResponse:
    return customer_panel_redirect(customer.pk, "collections")


@staff_page(WORK_COLLECTIONS)
@require_POST
def dispute_open(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer(request, customer_id)
    try:
        operations.debt_dispute_open(
            customer=customer,
            subject=request.POST.get("subject", ""),
            on_date=system_clock.today(),
            now=system_clock.now(),
        )
    except ValidationFailed as failed:
        messages.error(request, failed.message)
    else:
        messages.success(request, _("Dispute recorded: collections wait until it is closed."))
    return _back(customer)


@staff_page(WORK_COLLECTIONS)
@require_POST
def dispute_close(request: HttpRequest, customer_id: int, dispute_id: int) -> HttpResponse:
    customer = _customer(request, customer_id)
    dispute = DebtDispute.objects.filter(customer=customer, pk=dispute_id).first()
    if dispute is None:
        raise Http404
    try:
        operations.debt_dispute_close(
            dispute=dispute, outcome=request.POST.get("outcome", ""), on_date=system_clock.today()
        )
    except ValidationFailed as failed:
        messages.error(request, failed.message)
    return _back(customer)


@staff_page(WORK_COLLECTIONS)
@require_POST
def plan_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer(request, customer_id)
    today = system_clock.today()
    try:
        count = int(request.POST.get("count") or 0)
        grace = int(request.POST.get("grace_days") or 7)
        first_due = _date(request.POST.get("first_due", ""), today + timedelta(days=14))
        debts = [d.entry for d in customer_open_debts(customer=customer, on_date=today)]
        instalment_plan_create(
            customer=customer,
            entries=[e for e in debts if isinstance(e, LedgerEntry)],
            count=count,
            first_due=first_due,
            grace_days=grace,
            created_by=request.user.get_username(),
            on_date=today,
            now=system_clock.now(),
        )
    except ValueError:
        messages.error(request, _("Enter whole numbers of instalments and days."))
    except ValidationFailed as failed:
        messages.error(request, failed.message)
    else:
        messages.success(request, _("Instalment plan agreed: collections wait while it is kept."))
    return _back(customer)
