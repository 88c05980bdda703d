"""Back office pages of a lead (and its conversion) and of an opportunity: stage, participants and their
shares, activities."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kilowatt.core.clock import WARSAW, system_clock
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.permissions import MANAGE_LEADS
from kilowatt.interfaces.backoffice.offers import offer_form_context
from kilowatt.interfaces.backoffice.views import staff_page
from kilowatt.parties.operations import AddressData
from kilowatt.sales.models import Activity, ActivityKind, Lead, Opportunity, OpportunityStage
from kilowatt.sales.opportunities import (
    Share,
    activity_add,
    activity_done,
    lead_convert,
    opportunity_stage_change,
    participants_set,
)

ADDRESS_FIELDS = ("street", "building_number", "apartment_number", "postal_code", "city")


def _staff(company):
    return get_user_model().objects.filter(memberships__company=company).distinct().order_by("username")


@staff_page(MANAGE_LEADS)
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = Lead.objects.filter(company=request.company, pk=lead_id).select_related("campaign").first()
    if lead is None:
        raise Http404
    errors: dict[str, str] = {}
    values = {"city": lead.city, "owner": str(request.user.pk)}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in (*ADDRESS_FIELDS, "owner")}
        owner = _staff(request.company).filter(pk=values["owner"] or 0).first()
        try:
            if owner is None:
                raise ValidationFailed.single("owner", _("Choose the owner."))
            opportunity = lead_convert(
                lead=lead,
                address=AddressData(**{name: values[name] for name in ADDRESS_FIELDS}),
                owner=owner,
                actor=request.user,
                now=system_clock.now(),
            )
        except ValidationFailed as failed:
            errors = {e.field.removeprefix("address."): e.message for e in failed.errors}
        else:
            return redirect("backoffice:opportunity", opportunity_id=opportunity.pk)
    return render(
        request,
        "backoffice/sales/lead.html",
        {
            "lead": lead,
            "values": values,
            "errors": errors,
            "staff": _staff(request.company),
            "opportunities": lead.opportunities.select_related("customer"),
            "address_fields": ADDRESS_FIELDS,
        },
    )


def _opportunity(request: HttpRequest, opportunity_id: int) -> Opportunity:
    opportunity = (
        Opportunity.objects.filter(company=request.company, pk=opportunity_id)
        .select_related("customer", "owner", "lead", "campaign")
        .first()
    )
    if opportunity is None:
        raise Http404
    return opportunity


@staff_page(MANAGE_LEADS)
def opportunity_detail(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    opportunity = _opportunity(request, opportunity_id)
    today = system_clock.now().astimezone(WARSAW).date()
    return render(
        request,
        "backoffice/sales/opportunity.html",
        {
            "opportunity": opportunity,
            "participants": opportunity.participants.select_related("user"),
            "activities": opportunity.activities.select_related("assignee"),
            "stages": OpportunityStage.choices,
            "kinds": ActivityKind.choices,
            "staff": _staff(request.company),
            "points": opportunity.supply_points.select_related("tariff_group"),
            **offer_form_context(opportunity=opportunity, on_date=today),
        },
    )


def _due(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=WARSAW)
    except ValueError:
        raise ValidationFailed.single("due_at", _("Enter the date and time.")) from None


@staff_page(MANAGE_LEADS)
@require_POST
def opportunity_action(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    opportunity = _opportunity(request, opportunity_id)
    post, now = request.POST, system_clock.now()
    try:
        action = post.get("action")
        if action == "stage":
            opportunity_stage_change(
                opportunity=opportunity, stage=post.get("stage", ""), lost_reason=post.get("lost_reason", "")
            )
        elif action == "participants":
            shares = [
                Share(int(user), share)
                for user, share in zip(post.getlist("user"), post.getlist("share"), strict=False)
                if user and share
            ]
            participants_set(opportunity=opportunity, shares=shares)
        elif action == "activity":
            assignee = _staff(request.company).filter(pk=post.get("assignee") or 0).first() or request.user
            activity_add(
                opportunity=opportunity,
                kind=post.get("kind", ""),
                subject=post.get("subject", ""),
                due_at=_due(post.get("due_at", "")),
                assignee=assignee,
                now=now,
            )
        elif action == "done":
            activity = Activity.objects.filter(opportunity=opportunity, pk=post.get("activity") or 0).first()
            if activity is None:
                raise Http404
            activity_done(activity=activity, outcome=post.get("outcome", ""), now=now)
        else:
            return HttpResponse(status=400)
    except ValidationFailed as failed:
        messages.error(request, failed.message)
    except ValueError:
        messages.error(request, _("Choose the people from the list."))
    else:
        messages.success(request, _("Saved."))
    return redirect("backoffice:opportunity", opportunity_id=opportunity.pk)
