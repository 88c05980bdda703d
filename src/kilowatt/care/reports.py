"""Care reports: the flow of tickets (received, closed, merged) per day, type, channel and team; SLA
compliance; the backlog now; survey scores; complaints against their legal deadline; the live monitor.

A period is half-open ``[start, end)`` of dates on the Warsaw wall clock. Every figure is an aggregate
query (GROUP BY); nothing loops over tickets in Python. "Closed" means resolved in the period (closing
without resolving first sets both moments), a merged ticket counts as received and then as merged, never
as closed. Figures per team use the team that holds the ticket now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import get_language

from kilowatt.care.models import (
    OPEN_STATUSES,
    WAITING_STATUSES,
    Outage,
    Survey,
    Ticket,
    TicketChannel,
    TicketStatus,
)
from kilowatt.care.sla import WARSAW
from kilowatt.core.models import Company
from kilowatt.core.periods import InvalidPeriod, Period

PERCENT = Decimal("0.1")
SCORE = Decimal("0.01")
MONITOR_LATEST = 20


def percent_of(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in per cent, to 0.1 (half up); None when there is nothing to divide."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT, rounding=ROUND_HALF_UP)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=WARSAW)


def period_bounds(period: Period) -> tuple[datetime, datetime]:
    """The aware moments of Warsaw midnight that open and end the period."""
    if period.end is None:
        raise InvalidPeriod("a report needs a period with an end")
    return _midnight(period.start), _midnight(period.end)


def _between(name: str, start: datetime, end: datetime) -> Q:
    return Q(**{f"{name}__gte": start, f"{name}__lt": end})


@dataclass(frozen=True)
class TypeName:
    """A ticket type's name in the language active when it is shown."""

    pl: str
    en: str
    colour: str = ""

    def __str__(self) -> str:
        return self.pl if (get_language() or "").startswith("pl") else self.en


# --- the groupings every table shares ------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    """How rows are grouped: the columns grouped by, and how a grouped row becomes a key and a label."""

    fields: tuple[str, ...]
    prefix: str = ""

    def values(self) -> tuple[str, ...]:
        return tuple(self.prefix + name for name in self.fields)

    def key_label(self, row: dict[str, Any]) -> tuple[str, Any, tuple]:
        """(key, label, sort key) of one grouped row."""
        get = {name: row[self.prefix + name] for name in self.fields}
        if "channel" in get:
            code = get["channel"]
            if code not in TicketChannel.values:
                return code, code, (len(TicketChannel.values), code)
            return code, TicketChannel(code).label, (TicketChannel.values.index(code), code)
        if "team__code" in get:
            return get["team__code"], get["team__name"], (get["team__name"], get["team__code"])
        if "ticket_type__code" in get:
            name = TypeName(
                get["ticket_type__name_pl"], get["ticket_type__name_en"], get["ticket_type__colour"]
            )
            return get["ticket_type__code"], name, (get["ticket_type__position"], get["ticket_type__code"])
        if "status" in get:
            code = get["status"]
            return code, TicketStatus(code).label, (TicketStatus.values.index(code), code)
        raise ValueError(f"no label for {self.fields}")


BY_TYPE = Dimension(
    tuple(f"ticket_type__{name}" for name in ("code", "name_pl", "name_en", "colour", "position"))
)
BY_TEAM = Dimension(("team__code", "team__name"))
BY_CHANNEL = Dimension(("channel",))
BY_STATUS = Dimension(("status",))


def _grouped(rows: QuerySet, dimension: Dimension, **aggregates: Any) -> list[tuple[str, Any, dict]]:
    """(key, label, figures) per group, in the dimension's order; one query."""
    grouped = rows.order_by().values(*dimension.values()).annotate(**aggregates)
    keyed = []
    for row in grouped:
        key, label, order = dimension.key_label(row)
        keyed.append((order, key, label, {name: row[name] for name in aggregates}))
    keyed.sort(key=lambda item: item[0])
    return [(key, label, figures) for _order, key, label, figures in keyed]


# --- (a) flow ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowRow:
    key: str
    label: Any
    received: int = 0
    closed: int = 0
    merged: int = 0


@dataclass(frozen=True)
class TicketFlow:
    days: list[FlowRow]  # every day of the period, in order; key is the ISO date, label the date
    types: list[FlowRow]
    channels: list[FlowRow]
    teams: list[FlowRow]
    total: FlowRow


def _flow_filters(start: datetime, end: datetime) -> dict[str, Q]:
    return {
        "received": _between("created_at", start, end),
        "closed": _between("resolved_at", start, end) & ~Q(status=TicketStatus.MERGED),
        "merged": Q(status=TicketStatus.MERGED) & _between("closed_at", start, end),
    }


def _flow_days(tickets: QuerySet[Ticket], period: Period, filters: dict[str, Q]) -> list[FlowRow]:
    moments = {"received": "created_at", "closed": "resolved_at", "merged": "closed_at"}
    counts: dict[date, dict[str, int]] = {}
    for name, moment in moments.items():
        per_day = (
            tickets.filter(filters[name])
            .order_by()
            .annotate(day=TruncDate(moment, tzinfo=WARSAW))
            .values("day")
            .annotate(n=Count("id"))
        )
        for row in per_day:
            counts.setdefault(row["day"], {})[name] = row["n"]
    days = []
    day = period.start
    while period.end is not None and day < period.end:
        days.append(FlowRow(day.isoformat(), day, **counts.get(day, {})))
        day += timedelta(days=1)
    return days


def ticket_flow(*, company: Company, period: Period) -> TicketFlow:
    """Tickets received, closed and merged in the period: per day, type, channel and team, and in total."""
    start, end = period_bounds(period)
    filters = _flow_filters(start, end)
    tickets = Ticket.objects.filter(company=company)
    relevant = tickets.filter(filters["received"] | filters["closed"] | filters["merged"])
    counts = {name: Count("id", filter=q) for name, q in filters.items()}

    def rows(dimension: Dimension) -> list[FlowRow]:
        return [
            FlowRow(key, label, **figures) for key, label, figures in _grouped(relevant, dimension, **counts)
        ]

    total = relevant.order_by().aggregate(**counts)
    return TicketFlow(
        days=_flow_days(tickets, period, filters),
        types=rows(BY_TYPE),
        channels=rows(BY_CHANNEL),
        teams=rows(BY_TEAM),
        total=FlowRow("total", "", **total),
    )


# --- (b) SLA compliance --------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaRow:
    """Of the tickets resolved in the period, how many within their SLA (never flagged as breached)."""

    key: str
    label: Any
    resolved: int
    within: int

    @property
    def late(self) -> int:
        return self.resolved - self.within

    @property
    def percent(self) -> Decimal | None:
        return percent_of(self.within, self.resolved)


@dataclass(frozen=True)
class SlaCompliance:
    types: list[SlaRow]
    teams: list[SlaRow]
    total: SlaRow


def sla_compliance(*, company: Company, period: Period) -> SlaCompliance:
    start, end = period_bounds(period)
    resolved = Ticket.objects.filter(company=company).filter(_flow_filters(start, end)["closed"])
    counts = {"resolved": Count("id"), "within": Count("id", filter=Q(sla_breached_at__isnull=True))}

    def rows(dimension: Dimension) -> list[SlaRow]:
        return [
            SlaRow(key, label, **figures) for key, label, figures in _grouped(resolved, dimension, **counts)
        ]

    return SlaCompliance(
        types=rows(BY_TYPE),
        teams=rows(BY_TEAM),
        total=SlaRow("total", "", **resolved.order_by().aggregate(**counts)),
    )


# --- (c) backlog now -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BacklogRow:
    key: str
    label: Any
    open: int
    overdue: int
    waiting: int
    oldest_at: datetime | None
    now: datetime = field(repr=False)

    @property
    def oldest_age(self) -> timedelta | None:
        return None if self.oldest_at is None else self.now - self.oldest_at

    @property
    def oldest_age_hours(self) -> int | None:
        age = self.oldest_age
        return None if age is None else int(age.total_seconds() // 3600)


@dataclass(frozen=True)
class Backlog:
    now: datetime
    teams: list[BacklogRow]
    statuses: list[BacklogRow]
    total: BacklogRow


def _backlog_counts(now: datetime) -> dict[str, Any]:
    return {
        "open": Count("id"),
        "overdue": Count("id", filter=Q(sla_paused_at__isnull=True, due_at__lt=now)),
        "waiting": Count("id", filter=Q(status__in=WAITING_STATUSES)),
        "oldest_at": Min("created_at"),
    }


def backlog_now(*, company: Company, now: datetime) -> Backlog:
    """Open tickets now per team and per status: how many, how many overdue (SLA running and past due),
    how many waiting, and since when the oldest one waits."""
    tickets = Ticket.objects.filter(company=company, status__in=OPEN_STATUSES)
    counts = _backlog_counts(now)

    def rows(dimension: Dimension) -> list[BacklogRow]:
        return [
            BacklogRow(key, label, now=now, **figures)
            for key, label, figures in _grouped(tickets, dimension, **counts)
        ]

    total = tickets.order_by().aggregate(**counts)
    return Backlog(
        now=now,
        teams=rows(BY_TEAM),
        statuses=rows(BY_STATUS),
        total=BacklogRow("total", "", now=now, **total),
    )


# --- (d) surveys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyRow:
    """Surveys answered in the period; the share "resolved" is of those who answered that question."""

    key: str
    label: Any
    answered: int
    score_sum: int
    resolved_yes: int
    resolved_answered: int

    @property
    def average(self) -> Decimal | None:
        if not self.answered:
            return None
        return (Decimal(self.score_sum) / Decimal(self.answered)).quantize(SCORE, rounding=ROUND_HALF_UP)

    @property
    def resolved_percent(self) -> Decimal | None:
        return percent_of(self.resolved_yes, self.resolved_answered)


@dataclass(frozen=True)
class SurveyScores:
    teams: list[SurveyRow]
    types: list[SurveyRow]
    total: SurveyRow


def survey_scores(*, company: Company, period: Period) -> SurveyScores:
    start, end = period_bounds(period)
    answered = Survey.objects.filter(ticket__company=company, score__isnull=False).filter(
        _between("answered_at", start, end)
    )
    counts = {
        "answered": Count("id"),
        "score_sum": Sum("score"),
        "resolved_yes": Count("id", filter=Q(resolved=True)),
        "resolved_answered": Count("id", filter=Q(resolved__isnull=False)),
    }

    def rows(dimension: Dimension) -> list[SurveyRow]:
        via_ticket = Dimension(dimension.fields, prefix="ticket__")
        return [
            SurveyRow(key, label, **{**figures, "score_sum": figures["score_sum"] or 0})
            for key, label, figures in _grouped(answered, via_ticket, **counts)
        ]

    total = answered.order_by().aggregate(**counts)
    return SurveyScores(
        teams=rows(BY_TEAM),
        types=rows(BY_TYPE),
        total=SurveyRow("total", "", **{**total, "score_sum": total["score_sum"] or 0}),
    )


# --- (e) complaints ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintRow:
    """Complaints received in the period, decided in the period within or after the legal deadline
    (the answer's Warsaw date against ``answer_due_on``), and still undecided past it now."""

    key: str
    label: Any
    received: int
    decided_in_time: int
    decided_late: int
    open_overdue: int

    @property
    def in_time_percent(self) -> Decimal | None:
        return percent_of(self.decided_in_time, self.decided_in_time + self.decided_late)


@dataclass(frozen=True)
class ComplaintFigures:
    types: list[ComplaintRow]
    total: ComplaintRow


def complaint_figures(*, company: Company, period: Period, now: datetime) -> ComplaintFigures:
    start, end = period_bounds(period)
    today = now.astimezone(WARSAW).date()
    decided = _between("decided_at", start, end)
    filters = {
        "received": _between("created_at", start, end),
        "decided_in_time": decided & Q(decided_on__lte=F("answer_due_on")),
        "decided_late": decided & Q(decided_on__gt=F("answer_due_on")),
        "open_overdue": Q(decided_at__isnull=True, status__in=OPEN_STATUSES, answer_due_on__lt=today),
    }
    complaints = (
        Ticket.objects.filter(company=company, ticket_type__is_complaint=True)
        .annotate(decided_on=TruncDate("decided_at", tzinfo=WARSAW))
        .filter(filters["received"] | decided | filters["open_overdue"])
    )
    counts = {name: Count("id", filter=q) for name, q in filters.items()}
    return ComplaintFigures(
        types=[
            ComplaintRow(key, label, **figures)
            for key, label, figures in _grouped(complaints, BY_TYPE, **counts)
        ],
        total=ComplaintRow("total", "", **complaints.order_by().aggregate(**counts)),
    )


# --- everything at once --------------------------------------------------------------------------


@dataclass(frozen=True)
class CareReport:
    period: Period
    now: datetime
    flow: TicketFlow
    sla: SlaCompliance
    backlog: Backlog
    surveys: SurveyScores
    complaints: ComplaintFigures


def care_report(*, company: Company, period: Period, now: datetime) -> CareReport:
    """Every table of the care report for the period (the backlog and overdue complaints as of ``now``)."""
    return CareReport(
        period=period,
        now=now,
        flow=ticket_flow(company=company, period=period),
        sla=sla_compliance(company=company, period=period),
        backlog=backlog_now(company=company, now=now),
        surveys=survey_scores(company=company, period=period),
        complaints=complaint_figures(company=company, period=period, now=now),
    )


# --- the live monitor ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OutageCalls:
    outage: Outage
    calls: int  # every caller once: linked tickets and the tickets merged into them


@dataclass(frozen=True)
class MonitorSnapshot:
    now: datetime
    registered_today: int
    open_now: int
    overdue_now: int
    waiting_now: int
    teams: list[BacklogRow]
    outages: list[OutageCalls]
    latest: list[Ticket]


def _outages_with_calls(company: Company) -> Iterable[OutageCalls]:
    outages = (
        Outage.objects.filter(company=company, status=Outage.Status.ACTIVE)
        .select_related("area")
        .annotate(
            linked=Count("tickets", filter=~Q(tickets__status=TicketStatus.MERGED), distinct=True),
            merged_in=Count("tickets__merged", distinct=True),
        )
        .order_by("-started_at", "-id")
    )
    return [OutageCalls(outage, outage.linked + outage.merged_in) for outage in outages]


def care_monitor(*, company: Company, now: datetime, latest: int = MONITOR_LATEST) -> MonitorSnapshot:
    """What the care floor sees on its wall: today's intake, the backlog now, active outages with their
    callers, and the newest tickets."""
    today = now.astimezone(WARSAW).date()
    tickets = Ticket.objects.filter(company=company)
    opened = Q(status__in=OPEN_STATUSES)
    totals = tickets.order_by().aggregate(
        registered_today=Count(
            "id", filter=_between("created_at", _midnight(today), _midnight(today + timedelta(days=1)))
        ),
        open_now=Count("id", filter=opened),
        overdue_now=Count("id", filter=opened & Q(sla_paused_at__isnull=True, due_at__lt=now)),
        waiting_now=Count("id", filter=Q(status__in=WAITING_STATUSES)),
    )
    open_tickets = tickets.filter(opened)
    teams = [
        BacklogRow(key, label, now=now, **figures)
        for key, label, figures in _grouped(open_tickets, BY_TEAM, **_backlog_counts(now))
    ]
    newest = list(
        tickets.select_related("ticket_type", "team", "customer").order_by("-created_at", "-id")[:latest]
    )
    return MonitorSnapshot(
        now=now, teams=teams, outages=list(_outages_with_calls(company)), latest=newest, **totals
    )
