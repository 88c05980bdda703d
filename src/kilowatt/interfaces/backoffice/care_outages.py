"""Back office pages of outages for dispatchers: the active and recently closed outages with their calls, a
new outage (where: area, station, postal codes, supply points), and one outage kept current — progress
notes, a new expected end, every linked caller told, the outage closed (its tickets resolved)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from kilowatt.care.models import Correspondence, Outage, Ticket, TicketStatus
from kilowatt.care.outages import (
    OutageData,
    outage_callers,
    outage_callers_inform,
    outage_close,
    outage_open,
    outage_update,
)
from kilowatt.care.queries import outage_of_company, outages_of_company
from kilowatt.care.sla import WARSAW
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.core.permissions import DISPATCH_OUTAGES
from kilowatt.interfaces.backoffice.views import messages_from, staff_page
from kilowatt.network.models import DistributionArea, SupplyPoint

LIST_LIMIT = 200
RECENT_DAYS = 7  # closed outages stay on the list this long
DETAIL_LIMIT = 500  # supply points, calls and messages shown on one outage's page


class WarsawDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read and shown on the Warsaw wall clock, whatever the active time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

    def to_python(self, value):
        with timezone.override(WARSAW):
            return super().to_python(value)

    def prepare_value(self, value):
        with timezone.override(WARSAW):
            return super().prepare_value(value)


class DomainFieldsMixin:
    """Errors of a domain refusal on the form fields they name (``supply_points`` → the codes' textarea)."""

    field_aliases: dict[str, str] = {}

    def add_domain_errors(self, failed: DomainError) -> None:
        for error in failed.errors if isinstance(failed, ValidationFailed) else [failed]:
            name = self.field_aliases.get(error.field or "", error.field)
            self.add_error(name if name in self.fields else None, error.message)


class OutageForm(DomainFieldsMixin, forms.Form):
    field_aliases = {"supply_points": "supply_point_codes"}

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    area = forms.ModelChoiceField(label=gettext_lazy("Distribution area"), queryset=None, required=False)
    station = forms.CharField(label=gettext_lazy("Network station"), max_length=64, required=False)
    postal_codes = forms.CharField(
        label=gettext_lazy("Postal codes affected"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("Separated by commas or spaces, e.g. 00-590, 00-591."),
    )
    supply_point_codes = forms.CharField(
        label=gettext_lazy("Supply points affected (PPE codes)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=gettext_lazy("One PPE code per line."),
    )
    started_at = WarsawDateTimeField(label=gettext_lazy("Started at"))
    expected_end_at = WarsawDateTimeField(label=gettext_lazy("Expected end"), required=False)
    crew = forms.CharField(label=gettext_lazy("Crew"), max_length=200, required=False)

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company
        self.fields["area"].queryset = DistributionArea.objects.select_related("dso").order_by(
            "dso__code", "name"
        )

    def clean_supply_point_codes(self) -> list[SupplyPoint]:
        lines = self.cleaned_data["supply_point_codes"].splitlines()
        codes = [code for code in dict.fromkeys(line.strip() for line in lines) if code]
        found = {p.code: p for p in SupplyPoint.objects.filter(company=self.company, code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise forms.ValidationError(
                _("No supply point of this company has the code: %(codes)s") % {"codes": ", ".join(unknown)}
            )
        return [found[code] for code in codes]

    def outage_data(self) -> OutageData:
        data = self.cleaned_data
        return OutageData(
            title=data["title"],
            started_at=data["started_at"],
            area=data["area"],
            station=data["station"],
            postal_codes=data["postal_codes"],
            supply_points=data["supply_point_codes"],
            expected_end_at=data["expected_end_at"],
            crew=data["crew"],
        )


class OutageUpdateForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Progress note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    expected_end_at = WarsawDateTimeField(label=gettext_lazy("New expected end"), required=False)
    crew = forms.CharField(label=gettext_lazy("Crew"), max_length=200, required=False)
    inform = forms.BooleanField(label=gettext_lazy("Inform every linked caller now"), required=False)


class OutageCloseForm(forms.Form):
    ended_at = WarsawDateTimeField(label=gettext_lazy("Ended at"))
    note = forms.CharField(
        label=gettext_lazy("Closing note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    inform = forms.BooleanField(label=gettext_lazy("Tell the linked callers"), required=False, initial=True)


def _with_callers(outages: QuerySet[Outage]) -> QuerySet[Outage]:
    """Each outage with its number of calls as ``outage_callers`` counts them (merged tickets included)."""
    linked = (
        Ticket.objects.filter(outage=OuterRef("pk"))
        .exclude(status=TicketStatus.MERGED)
        .order_by()
        .values("outage")
        .annotate(n=Count("pk"))
        .values("n")
    )
    merged = (
        Ticket.objects.filter(merged_into__outage=OuterRef("pk"))
        .exclude(merged_into__status=TicketStatus.MERGED)
        .order_by()
        .values("merged_into__outage")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return outages.annotate(
        linked_calls=Coalesce(Subquery(linked, output_field=IntegerField()), 0),
        merged_calls=Coalesce(Subquery(merged, output_field=IntegerField()), 0),
    )


def _outage(request: HttpRequest, outage_id: int) -> Outage:
    outage = outage_of_company(company=request.company, outage_id=outage_id)
    if outage is None:
        raise Http404
    return outage


@staff_page(DISPATCH_OUTAGES)
def outages(request: HttpRequest) -> HttpResponse:
    now = system_clock.now()
    shown = outages_of_company(company=request.company).filter(
        Q(status=Outage.Status.ACTIVE) | Q(ended_at__gte=now - timedelta(days=RECENT_DAYS))
    )
    rows = list(_with_callers(shown).select_related("area__dso")[:LIST_LIMIT])
    return render(
        request,
        "backoffice/care/outages.html",
        {
            "active": [o for o in rows if o.status == Outage.Status.ACTIVE],
            "closed": [o for o in rows if o.status != Outage.Status.ACTIVE],
            "recent_days": RECENT_DAYS,
            "limited": len(rows) == LIST_LIMIT,
            "now": now,
        },
    )


@staff_page(DISPATCH_OUTAGES)
def outage_new(request: HttpRequest) -> HttpResponse:
    now = system_clock.now()
    initial = {"started_at": now.replace(second=0, microsecond=0)}
    form = OutageForm(request.POST or None, company=request.company, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            outage = outage_open(
                company=request.company, data=form.outage_data(), now=now, made_by=request.user
            )
        except DomainError as failed:
            form.add_domain_errors(failed)
        else:
            messages.success(request, _("Outage %(number)s opened.") % {"number": outage.number})
            return redirect("backoffice:care_outage", outage_id=outage.pk)
    return render(request, "backoffice/care/outage_new.html", {"form": form})


@staff_page(DISPATCH_OUTAGES)
def outage_detail(request: HttpRequest, outage_id: int) -> HttpResponse:
    outage = _outage(request, outage_id)
    now = system_clock.now()
    callers = outage_callers(outage=outage)
    numbers = {ticket.pk: ticket.number for ticket in callers}
    letters = (
        Correspondence.objects.filter(ticket_id__in=list(numbers))
        .defer("content")
        .order_by("-created_at", "-id")[:DETAIL_LIMIT]
    )
    return render(
        request,
        "backoffice/care/outage.html",
        {
            "outage": outage,
            "notes": outage.notes.select_related("created_by"),
            "supply_points": outage.supply_points.order_by("code")[:DETAIL_LIMIT],
            "callers": [(ticket, numbers.get(ticket.merged_into_id)) for ticket in callers[:DETAIL_LIMIT]],
            "caller_count": len(callers),
            "letters": [(letter, numbers.get(letter.ticket_id)) for letter in letters],
            "update_form": OutageUpdateForm(
                initial={"crew": outage.crew, "expected_end_at": outage.expected_end_at}, auto_id="update_%s"
            ),
            "close_form": OutageCloseForm(
                initial={"ended_at": now.replace(second=0, microsecond=0)}, auto_id="close_%s"
            ),
            "active": outage.status == Outage.Status.ACTIVE,
        },
    )


def _invalid(request: HttpRequest, form: forms.Form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def _informed(request: HttpRequest, sent: list[Correspondence]) -> None:
    failed = sum(1 for letter in sent if not letter.delivered)
    told = len(sent) - failed
    messages.success(
        request,
        ngettext("%(count)s caller informed.", "%(count)s callers informed.", told) % {"count": told},
    )
    if failed:
        messages.error(
            request,
            ngettext(
                "%(count)s caller could not be reached; the reason is in the messages below.",
                "%(count)s callers could not be reached; the reasons are in the messages below.",
                failed,
            )
            % {"count": failed},
        )


def _update(request: HttpRequest, outage: Outage) -> None:
    form = OutageUpdateForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form)
    data, now = form.cleaned_data, system_clock.now()
    # The form comes filled with the current crew and expected end: only what was changed is sent on.
    crew = data["crew"] if data["crew"].strip() != outage.crew else None
    shown = outage.expected_end_at.replace(second=0, microsecond=0) if outage.expected_end_at else None
    expected_end_at = data["expected_end_at"] if data["expected_end_at"] != shown else None
    outage = outage_update(  # the updated outage: the callers are told its new expected end
        outage=outage,
        note=data["note"],
        expected_end_at=expected_end_at,
        crew=crew,
        now=now,
        made_by=request.user,
    )
    messages.success(request, _("Outage updated."))
    if data["inform"]:
        _informed(request, outage_callers_inform(outage=outage, now=now, made_by=request.user))


def _inform(request: HttpRequest, outage: Outage) -> None:
    sent = outage_callers_inform(
        outage=outage, now=system_clock.now(), made_by=request.user, text=request.POST.get("text", "")[:1000]
    )
    _informed(request, sent)


def _close(request: HttpRequest, outage: Outage) -> None:
    form = OutageCloseForm(request.POST)
    if not form.is_valid():
        return _invalid(request, form)
    data = form.cleaned_data
    outage_close(
        outage=outage,
        ended_at=data["ended_at"],
        note=data["note"],
        now=system_clock.now(),
        made_by=request.user,
        inform=data["inform"],
    )
    messages.success(request, _("Outage closed; its open tickets are resolved."))


OUTAGE_ACTIONS = {"update": _update, "inform": _inform, "close": _close}


@staff_page(DISPATCH_OUTAGES)
@require_POST
def outage_action(request: HttpRequest, outage_id: int) -> HttpResponse:
    outage = _outage(request, outage_id)
    action = OUTAGE_ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        return HttpResponse(status=400)
    try:
        action(request, outage)
    except DomainError as failed:
        messages_from(request, failed)
    return redirect("backoffice:care_outage", outage_id=outage.pk)
