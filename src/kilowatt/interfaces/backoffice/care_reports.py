"""Back office care reports (a period's ticket flow, SLA compliance, backlog, surveys and complaints, with
charts drawn here as inline SVG and exports to XLSX and CSV) and the live monitor of the care floor, whose
panel htmx reloads every 15 seconds.

The page, the XLSX and the CSV are built from the same tables, so their figures cannot disagree."""

from __future__ import annotations

import csv
import io
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from openpyxl import Workbook

from kilowatt.care.reports import CareReport, FlowRow, care_monitor, care_report
from kilowatt.care.sla import WARSAW
from kilowatt.core.clock import system_clock
from kilowatt.core.periods import Period
from kilowatt.core.permissions import VIEW_CARE_REPORTS
from kilowatt.core.spreadsheets import xlsx_cell
from kilowatt.interfaces.backoffice.views import staff_page

MAX_DAYS = 366
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PeriodForm(forms.Form):
    """The period as people type it: both days included."""

    date_from = forms.DateField(label=gettext_lazy("From"), widget=DATE_INPUT)
    date_to = forms.DateField(label=gettext_lazy("To (included)"), widget=DATE_INPUT)

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        start, last = cleaned.get("date_from"), cleaned.get("date_to")
        if last and last >= date.max:
            self.add_error("date_to", _("Choose a real day."))
        elif start and last:
            if last < start:
                self.add_error("date_to", _("The period must end on or after its first day."))
            elif (last - start).days + 1 > MAX_DAYS:
                self.add_error("date_to", _("Choose at most %(days)s days.") % {"days": MAX_DAYS})
        return cleaned

    def period(self) -> Period:
        return Period(self.cleaned_data["date_from"], self.cleaned_data["date_to"] + timedelta(days=1))


def _period_form(request: HttpRequest, today: date) -> PeriodForm:
    """The period asked for, or the current month."""
    if "date_from" in request.GET or "date_to" in request.GET:
        return PeriodForm(request.GET)
    last = today.replace(day=monthrange(today.year, today.month)[1])
    return PeriodForm({"date_from": today.replace(day=1).isoformat(), "date_to": last.isoformat()})


# --- tables shared by the page and the exports ---------------------------------------------------


@dataclass(frozen=True)
class Table:
    key: str
    title: Any
    headers: list[Any]
    rows: list[list[Any]]
    total: list[Any] | None = None


def _flow_table(key: str, title: Any, first: Any, rows: list[FlowRow], total: FlowRow) -> Table:
    return Table(
        key=key,
        title=title,
        headers=[
            first,
            pgettext("tickets", "Received"),
            pgettext("tickets", "Closed"),
            pgettext("tickets", "Merged"),
        ],
        rows=[[row.label, row.received, row.closed, row.merged] for row in rows],
        total=[_("Total"), total.received, total.closed, total.merged],
    )


def _sla_table(key: str, title: Any, first: Any, rows: list, total) -> Table:
    def line(row) -> list[Any]:
        return [row.label, row.resolved, row.within, row.late, row.percent]

    return Table(
        key=key,
        title=title,
        headers=[
            first,
            pgettext("tickets", "Resolved"),
            _("Within SLA"),
            pgettext("tickets", "Late"),
            _("Within SLA %"),
        ],
        rows=[line(row) for row in rows],
        total=[_("Total"), *line(total)[1:]],
    )


def _backlog_table(key: str, title: Any, first: Any, rows: list, total) -> Table:
    def line(row) -> list[Any]:
        oldest = row.oldest_at.astimezone(WARSAW).replace(tzinfo=None) if row.oldest_at else None
        return [row.label, row.open, row.overdue, row.waiting, oldest, row.oldest_age_hours]

    return Table(
        key=key,
        title=title,
        headers=[
            first,
            pgettext("tickets", "Open"),
            pgettext("tickets", "Overdue"),
            pgettext("tickets", "Waiting"),
            _("Oldest open since"),
            _("Oldest age (h)"),
        ],
        rows=[line(row) for row in rows],
        total=[_("Total"), *line(total)[1:]],
    )


def _survey_table(key: str, title: Any, first: Any, rows: list, total) -> Table:
    def line(row) -> list[Any]:
        return [row.label, row.answered, row.average, row.resolved_percent]

    return Table(
        key=key,
        title=title,
        headers=[first, _("Answered"), _("Average score"), _("Resolved %")],
        rows=[line(row) for row in rows],
        total=[_("Total"), *line(total)[1:]],
    )


def _complaint_table(report: CareReport) -> Table:
    def line(row) -> list[Any]:
        return [
            row.label,
            row.received,
            row.decided_in_time,
            row.decided_late,
            row.in_time_percent,
            row.open_overdue,
        ]

    complaints = report.complaints
    return Table(
        key="complaints",
        title=_("Complaints"),
        headers=[
            _("Type"),
            pgettext("tickets", "Received"),
            _("Decided within the legal deadline"),
            _("Decided late"),
            _("In time %"),
            _("Open past the deadline now"),
        ],
        rows=[line(row) for row in complaints.types],
        total=[_("Total"), *line(complaints.total)[1:]],
    )


def report_tables(report: CareReport) -> list[Table]:
    flow, sla, backlog, surveys = report.flow, report.sla, report.backlog, report.surveys
    return [
        _flow_table("days", _("Per day"), _("Day"), flow.days, flow.total),
        _flow_table("types", _("Per type"), _("Type"), flow.types, flow.total),
        _flow_table("channels", _("Per channel"), _("Channel"), flow.channels, flow.total),
        _flow_table("teams", _("Per team"), _("Team"), flow.teams, flow.total),
        _sla_table("sla-types", _("SLA per type"), _("Type"), sla.types, sla.total),
        _sla_table("sla-teams", _("SLA per team"), _("Team"), sla.teams, sla.total),
        _backlog_table("backlog-teams", _("Backlog per team"), _("Team"), backlog.teams, backlog.total),
        _backlog_table(
            "backlog-statuses", _("Backlog per status"), _("Status"), backlog.statuses, backlog.total
        ),
        _survey_table("surveys-teams", _("Surveys per team"), _("Team"), surveys.teams, surveys.total),
        _survey_table("surveys-types", _("Surveys per type"), _("Type"), surveys.types, surveys.total),
        _complaint_table(report),
    ]


# --- charts: inline SVG, drawn here ---------------------------------------------------------------

CHART_HEIGHT = 140
DAY_STEP = 22
BAR_WIDTH = 9
TYPE_ROW = 22
TYPE_WIDTH = 360
TYPE_OFFSET = 160


def _days_chart(days: list[FlowRow]) -> dict:
    """Received and closed per day, two bars a day, scaled to the busiest day."""
    peak = max([max(row.received, row.closed) for row in days] + [1])
    label_every = 1 if len(days) <= 31 else 7
    bars = []
    for index, row in enumerate(days):
        x = index * DAY_STEP
        received_h = round(row.received * CHART_HEIGHT / peak)
        closed_h = round(row.closed * CHART_HEIGHT / peak)
        bars.append(
            {
                "row": row,
                "x": x,
                "closed_x": x + BAR_WIDTH,
                "received_y": CHART_HEIGHT - received_h,
                "received_h": received_h,
                "closed_y": CHART_HEIGHT - closed_h,
                "closed_h": closed_h,
                "label_x": x + BAR_WIDTH,
                "show_label": index % label_every == 0,
            }
        )
    return {
        "bars": bars,
        "width": max(len(days) * DAY_STEP, DAY_STEP),
        "height": CHART_HEIGHT,
        "label_y": CHART_HEIGHT + 14,
        "full_height": CHART_HEIGHT + 20,
        "peak": peak,
        "bar_width": BAR_WIDTH,
    }


def _types_chart(types: list[FlowRow]) -> dict:
    """Received per type as horizontal bars in the type's colour."""
    peak = max([row.received for row in types] + [1])
    bars = [
        {
            "row": row,
            "y": index * TYPE_ROW,
            "text_y": index * TYPE_ROW + 14,
            "width": round(row.received * TYPE_WIDTH / peak),
            "value_x": TYPE_OFFSET + round(row.received * TYPE_WIDTH / peak) + 6,
            "colour": getattr(row.label, "colour", "") or "#4b5563",
        }
        for index, row in enumerate(types)
    ]
    return {
        "bars": bars,
        "width": TYPE_OFFSET + TYPE_WIDTH + 40,
        "height": max(len(types), 1) * TYPE_ROW,
        "offset": TYPE_OFFSET,
    }


# --- pages ---------------------------------------------------------------------------------------


def _export_query(form: PeriodForm) -> str:
    days = form.cleaned_data
    return "?" + urlencode(
        {"date_from": days["date_from"].isoformat(), "date_to": days["date_to"].isoformat()}
    )


@staff_page(VIEW_CARE_REPORTS)
def care_reports(request: HttpRequest) -> HttpResponse:
    now = system_clock.now()
    form = _period_form(request, now.astimezone(WARSAW).date())
    context: dict[str, Any] = {"form": form, "now": now}
    if form.is_valid():
        report = care_report(company=request.company, period=form.period(), now=now)
        context.update(
            report=report,
            tables=report_tables(report),
            days_chart=_days_chart(report.flow.days),
            types_chart=_types_chart(report.flow.types),
            query=_export_query(form),
        )
    return render(request, "backoffice/care/reports.html", context, status=200 if form.is_valid() else 400)


def tables_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table: a bold header, the rows, a bold total."""
    book = Workbook(write_only=True)
    for table in tables:
        sheet = book.create_sheet(str(table.title)[:31])
        sheet.append([xlsx_cell(sheet, header, bold=True) for header in table.headers])
        for row in table.rows:
            sheet.append([xlsx_cell(sheet, value) for value in row])
        if table.total is not None:
            sheet.append([xlsx_cell(sheet, value, bold=True) for value in table.total])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _file_stem(form: PeriodForm) -> str:
    return f"care-{form.cleaned_data['date_from']:%Y-%m-%d}-{form.cleaned_data['date_to']:%Y-%m-%d}"


def _download(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_page(VIEW_CARE_REPORTS)
def care_reports_export(request: HttpRequest) -> HttpResponse:
    now = system_clock.now()
    form = _period_form(request, now.astimezone(WARSAW).date())
    if not form.is_valid():
        return redirect(reverse("backoffice:care_reports") + "?" + request.GET.urlencode())
    report = care_report(company=request.company, period=form.period(), now=now)
    return _download(tables_xlsx(report_tables(report)), XLSX_TYPE, f"{_file_stem(form)}.xlsx")


@staff_page(VIEW_CARE_REPORTS)
def care_reports_csv(request: HttpRequest) -> HttpResponse:
    """The per-day table: one row a day (ISO date), `;`-separated UTF-8 with a byte order mark."""
    now = system_clock.now()
    form = _period_form(request, now.astimezone(WARSAW).date())
    if not form.is_valid():
        return redirect(reverse("backoffice:care_reports") + "?" + request.GET.urlencode())
    report = care_report(company=request.company, period=form.period(), now=now)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Day"),
            pgettext("tickets", "Received"),
            pgettext("tickets", "Closed"),
            pgettext("tickets", "Merged"),
        ]
    )
    writer.writerows([row.key, row.received, row.closed, row.merged] for row in report.flow.days)
    return _download(
        buffer.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8", f"{_file_stem(form)}.csv"
    )


# --- the live monitor ----------------------------------------------------------------------------


def _url_or_empty(name: str, pk: int) -> str:
    """The address of another care page, or "" when it is not installed: then nothing is linked."""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


def _monitor_context(request: HttpRequest) -> dict[str, Any]:
    now = system_clock.now()
    snapshot = care_monitor(company=request.company, now=now)
    return {
        "monitor": snapshot,
        "now": now,
        "latest": [
            (ticket, _url_or_empty("backoffice:care_ticket", ticket.pk)) for ticket in snapshot.latest
        ],
        "outages": [
            (item, _url_or_empty("backoffice:care_outage", item.outage.pk)) for item in snapshot.outages
        ],
    }


@staff_page(VIEW_CARE_REPORTS)
def monitor(request: HttpRequest) -> HttpResponse:
    return render(request, "backoffice/care/monitor.html", _monitor_context(request))


@staff_page(VIEW_CARE_REPORTS)
def monitor_panel(request: HttpRequest) -> HttpResponse:
    return render(request, "backoffice/care/_monitor_panel.html", _monitor_context(request))
