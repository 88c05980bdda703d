"""Reads for supplier switching: cases of a company (filtered, with their current step), the cases whose
step is due soon or overdue and the monthly revenue they hold up, one case with everything its page shows,
the cases of a supply point or a customer."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, CharField, Count, OuterRef, Prefetch, QuerySet, Subquery, Value, When
from django.utils.translation import gettext_lazy as _

from kilowatt.core.models import Company
from kilowatt.network.models import Dso, SupplyPoint
from kilowatt.parties.models import Customer
from kilowatt.switching.models import (
    CaseStatus,
    DsoMessage,
    StepCode,
    StepStatus,
    SwitchCase,
    SwitchCaseStep,
    SwitchDocument,
    SwitchProcess,
)

LIVE = (CaseStatus.OPEN, CaseStatus.SUBMITTED, CaseStatus.ACCEPTED, CaseStatus.REJECTED)
OVERDUE, DUE_SOON = "overdue", "due_soon"
FLAGS = {OVERDUE: _("Overdue"), DUE_SOON: _("Due soon")}
DUE_SOON_DAYS = 2


def _current_step(cases: QuerySet[SwitchCase]) -> QuerySet[SwitchCase]:
    """Each case with its current step's code and due date (``current_code``, ``current_due``)."""
    current = SwitchCaseStep.objects.filter(case=OuterRef("pk"), status=StepStatus.CURRENT).order_by(
        "position"
    )
    return cases.annotate(
        current_code=Subquery(current.values("code")[:1]),
        current_due=Subquery(current.values("due_on")[:1]),
    )


def _flagged(cases: QuerySet[SwitchCase], on_date: date, within_days: int) -> QuerySet[SwitchCase]:
    """``flag``: "overdue" when a live case's current step was due before ``on_date``, "due_soon" when it
    is due within ``within_days`` calendar days, else ""."""
    soon = on_date + timedelta(days=within_days)
    return cases.annotate(
        flag=Case(
            When(status__in=LIVE, current_due__lt=on_date, then=Value(OVERDUE)),
            When(status__in=LIVE, current_due__lte=soon, then=Value(DUE_SOON)),
            default=Value(""),
            output_field=CharField(),
        )
    )


def _for_list(cases: QuerySet[SwitchCase]) -> QuerySet[SwitchCase]:
    return cases.select_related("supply_point__dso", "contract__customer", "process", "owner").defer(
        "start_reading"
    )


def cases_of_company(
    *,
    company: Company,
    status: str = "",
    dso_id: int | None = None,
    flagged: str = "",
    on_date: date | None = None,
    within_days: int = DUE_SOON_DAYS,
) -> QuerySet[SwitchCase]:
    """The company's cases, newest first, each with ``current_code`` and ``current_due``; with ``on_date``
    also ``flag`` (see ``cases_flagged``). ``flagged`` ("overdue", "due_soon" or "any") needs
    ``on_date``."""
    cases = _current_step(_for_list(SwitchCase.objects.filter(company=company)))
    if status == "live":
        cases = cases.filter(status__in=LIVE)
    elif status:
        cases = cases.filter(status=status)
    if dso_id:
        cases = cases.filter(supply_point__dso_id=dso_id)
    if on_date is not None:
        cases = _flagged(cases, on_date, within_days)
        if flagged == "any":
            cases = cases.exclude(flag="")
        elif flagged:
            cases = cases.filter(flag=flagged)
    elif flagged:
        raise ValueError("flagged needs on_date")
    return cases.order_by("-created_at", "-pk")


def cases_flagged(
    *, company: Company, on_date: date, within_days: int = DUE_SOON_DAYS
) -> QuerySet[SwitchCase]:
    """Live cases whose current step is past due ("overdue") or due within ``within_days`` days ("due
    soon"), the most urgent first."""
    cases = cases_of_company(company=company, flagged="any", on_date=on_date, within_days=within_days)
    return cases.order_by("current_due", "pk")


def revenue_at_risk(
    *, company: Company, on_date: date, within_days: int = DUE_SOON_DAYS
) -> dict[str, Decimal]:
    """The expected monthly value (PLN) of the flagged cases, per flag and in total."""
    totals = {OVERDUE: Decimal("0.00"), DUE_SOON: Decimal("0.00")}
    rows = _flagged(
        _current_step(SwitchCase.objects.filter(company=company, status__in=LIVE)), on_date, within_days
    ).exclude(flag="")
    for flag, value in rows.values_list("flag", "monthly_value"):
        totals[flag] += value
    return {**totals, "total": totals[OVERDUE] + totals[DUE_SOON]}


def case_status_counts(*, company: Company) -> dict[str, int]:
    """How many cases of the company are in each status (every status named, zero when none)."""
    counted = dict(
        SwitchCase.objects.filter(company=company)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {status: counted.get(status, 0) for status in CaseStatus.values}


def case_of_company(*, company: Company, case_id: int) -> SwitchCase | None:
    """One case with what its page shows: point, contract, customer, process and its steps' definitions,
    the case's steps with their owners, documents and messages (without their contents)."""
    return (
        SwitchCase.objects.filter(company=company, pk=case_id)
        .select_related(
            "company",
            "supply_point__dso",
            "supply_point__tariff_group",
            "supply_point__address",
            "contract__customer",
            "process",
            "owner",
        )
        .prefetch_related(
            Prefetch("steps", queryset=SwitchCaseStep.objects.select_related("owner").order_by("position")),
            Prefetch("process__steps"),
            Prefetch("documents", queryset=SwitchDocument.objects.defer("content").order_by("code", "-pk")),
            Prefetch("messages", queryset=DsoMessage.objects.defer("content").order_by("-created_at", "-pk")),
        )
        .first()
    )


def case_document_of_company(*, company: Company, case_id: int, document_id: int) -> SwitchDocument | None:
    return SwitchDocument.objects.filter(case__company=company, case_id=case_id, pk=document_id).first()


def dso_message_of_company(*, company: Company, message_id: int) -> DsoMessage | None:
    return DsoMessage.objects.filter(company=company, pk=message_id).first()


def cases_of_supply_point(*, supply_point: SupplyPoint) -> QuerySet[SwitchCase]:
    """Every case of the point, newest first, with its current step."""
    return _current_step(_for_list(SwitchCase.objects.filter(supply_point=supply_point))).order_by(
        "-created_at", "-pk"
    )


def supply_points_with_latest_case(*, customer: Customer) -> QuerySet[SupplyPoint]:
    """The customer's supply points, each with its newest case's ``case_id``, ``case_number``,
    ``case_status``, ``case_start``, ``case_reason``, ``case_code`` (rejection) and ``case_step`` (the
    current step of a case in progress); the ``case_*`` values are None for a point never switched.
    One query, however many points and cases."""
    newest = SwitchCase.objects.filter(supply_point=OuterRef("pk")).order_by("-created_at", "-pk")
    current = SwitchCaseStep.objects.filter(
        case__supply_point=OuterRef("pk"), case__status__in=LIVE, status=StepStatus.CURRENT
    ).order_by("position")
    return (
        SupplyPoint.objects.filter(customer=customer)
        .select_related("dso")
        .annotate(
            case_id=Subquery(newest.values("pk")[:1]),
            case_number=Subquery(newest.values("number")[:1]),
            case_status=Subquery(newest.values("status")[:1]),
            case_start=Subquery(newest.values("start_date")[:1]),
            case_reason=Subquery(newest.values("rejection_reason")[:1]),
            case_code=Subquery(newest.values("rejection_code")[:1]),
            case_step=Subquery(current.values("code")[:1]),
        )
        .order_by("code")
    )


def cases_ready_for_submission(*, company: Company, dso_id: int) -> QuerySet[SwitchCase]:
    """Open cases of the DSO's points waiting at the submission step."""
    return SwitchCase.objects.filter(
        company=company,
        supply_point__dso_id=dso_id,
        status=CaseStatus.OPEN,
        steps__status=StepStatus.CURRENT,
        steps__code=StepCode.SUBMISSION,
    ).order_by("process_id", "pk")


def dsos_with_processes(*, company: Company) -> list[dict]:
    """Each DSO the company has a switch process for: its id and name, the exchanges of its processes,
    how many cases wait to be sent and its last outgoing message (for the fake DSO's answer)."""
    rows: dict[int, dict] = {}
    for process in SwitchProcess.objects.filter(company=company).select_related("dso").order_by("dso__name"):
        row = rows.setdefault(
            process.dso_id, {"dso": process.dso, "exchanges": set(), "ready": 0, "last_out": None}
        )
        row["exchanges"].add(process.exchange)
    ready = (
        SwitchCase.objects.filter(
            company=company,
            status=CaseStatus.OPEN,
            steps__status=StepStatus.CURRENT,
            steps__code=StepCode.SUBMISSION,
        )
        .order_by()
        .values("supply_point__dso_id")
        .annotate(n=Count("pk"))
        .values_list("supply_point__dso_id", "n")
    )
    for dso_id, count in ready:
        if dso_id in rows:
            rows[dso_id]["ready"] = count
    newest_out = DsoMessage.objects.filter(
        company=company, dso_id=OuterRef("pk"), direction=DsoMessage.Direction.OUT
    ).order_by("-created_at", "-pk")
    last_ids = (
        Dso.objects.filter(pk__in=list(rows))
        .annotate(last_out=Subquery(newest_out.values("pk")[:1]))
        .exclude(last_out=None)
        .values_list("last_out", flat=True)
    )
    for message in DsoMessage.objects.filter(pk__in=list(last_ids)).defer("content"):
        rows[message.dso_id]["last_out"] = message
    return list(rows.values())


def messages_of_company(*, company: Company, limit: int = 20) -> list[DsoMessage]:
    return list(
        DsoMessage.objects.filter(company=company)
        .select_related("dso")
        .defer("content")
        .order_by("-created_at", "-pk")[:limit]
    )


def fake_answers_due(
    *, company: Company, dso_id: int, on_date: date
) -> tuple[DsoMessage | None, list[DsoMessage]]:
    """What the local fake DSO would answer on ``on_date``: the last file sent to it when a case of it
    still waits for verification, and the answers in which it accepted cases whose start date has come
    (oldest first)."""
    sent = DsoMessage.objects.filter(company=company, dso_id=dso_id, direction=DsoMessage.Direction.OUT)
    last = sent.order_by("-created_at", "-pk").first()
    if last is not None and not last.cases.filter(status=CaseStatus.SUBMITTED).exists():
        last = None
    starting = DsoMessage.objects.filter(
        company=company,
        dso_id=dso_id,
        direction=DsoMessage.Direction.IN,
        exchange="fake",
        accepted=True,
        cases__status=CaseStatus.ACCEPTED,
        cases__start_date__lte=on_date,
    ).values("pk")
    answered = list(DsoMessage.objects.filter(pk__in=starting).order_by("created_at", "pk"))
    return last, answered
