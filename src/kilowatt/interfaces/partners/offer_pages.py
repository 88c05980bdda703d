"""Partner portal: the opportunity with its supply points and signing person, the offer calculator, offers
(comparison, PDF, accept or reject). Every read goes through the agent's scope."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kilowatt.catalog.models import CompetitorPriceList, PriceList
from kilowatt.channels.queries import products_allowed
from kilowatt.core.clock import WARSAW, system_clock
from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.interfaces.backoffice.forms import SupplyPointForm
from kilowatt.interfaces.partners.access import partner_page
from kilowatt.interfaces.partners.common import (
    already_known,
    dispatch_on_commit,
    form_refusal_show,
    refusal_show,
    today,
)
from kilowatt.interfaces.partners.forms import (
    PartnerOfferForm,
    SigningPersonForm,
)
from kilowatt.network.models import SupplyPoint
from kilowatt.network.operations import supply_point_create
from kilowatt.parties.models import CustomerKind
from kilowatt.parties.operations import ADDRESS_FIELDS, contact_add
from kilowatt.sales.models import (
    LeadStatus,
    Offer,
    OfferStatus,
    OfferTemplate,
    OfferVersion,
    Opportunity,
    OpportunityStage,
)
from kilowatt.sales.offers import offer_accept, offer_create, offer_latest, offer_reject
from kilowatt.sales.paperwork import BASIS_LABELS, offer_pdf
from kilowatt.sales.scope import (
    contracts_in_scope,
    offers_in_scope,
    opportunities_in_scope,
    supply_points_in_scope,
)

OPEN_LEADS = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)
CLOSED_STAGES = (OpportunityStage.WON, OpportunityStage.LOST)


def _opportunity(request: HttpRequest, opportunity_id: int) -> Opportunity:
    return get_object_or_404(
        opportunities_in_scope(scope=request.scope).select_related(
            "customer", "lead", "owner", "organisation", "company"
        ),
        pk=opportunity_id,
    )


def allowed_templates(*, opportunity: Opportunity) -> QuerySet[OfferTemplate]:
    """Active offer templates of the products the opportunity's organisation may offer."""
    templates = OfferTemplate.objects.filter(company_id=opportunity.company_id, is_active=True)
    if opportunity.organisation_id is not None:
        allowed = products_allowed(organisation=opportunity.organisation).values("pk")
        templates = templates.filter(product__in=allowed)
    return templates.select_related("product").order_by("name")


def _offer_form(opportunity: Opportunity, points: list[SupplyPoint], data=None) -> PartnerOfferForm:
    on_date = today()
    templates = allowed_templates(opportunity=opportunity)
    price_lists = (
        PriceList.objects.filter(
            company_id=opportunity.company_id,
            product__is_active=True,
            product__in=templates.values("product"),
        )
        .exclude(valid_to__lte=on_date)
        .select_related("product")
        .order_by("product__name", "-valid_from")
    )
    competitors = (
        CompetitorPriceList.objects.filter(company_id=opportunity.company_id, commodity=opportunity.commodity)
        .exclude(valid_to__lte=on_date)
        .order_by("competitor", "name")
    )
    return PartnerOfferForm(
        data,
        templates=templates,
        price_lists=price_lists,
        competitors=competitors,
        points=points,
        default_start=(on_date.replace(day=1) + timedelta(days=32)).replace(day=1),
        initial={"language": "en" if opportunity.customer.language == "en" else "pl"},
    )


def _opportunity_page(
    request: HttpRequest,
    opportunity: Opportunity,
    *,
    offer_form: PartnerOfferForm | None = None,
    signer_form: SigningPersonForm | None = None,
) -> HttpResponse:
    points = list(opportunity.supply_points.select_related("tariff_group", "dso").order_by("code"))
    customer = opportunity.customer
    needs_signer = (
        customer.kind == CustomerKind.BUSINESS
        and not customer.contacts.filter(is_signing_person=True).exists()
    )
    versions = OfferVersion.objects.order_by("-version")
    return render(
        request,
        "partners/sales/opportunity.html",
        {
            "opportunity": opportunity,
            "customer": customer,
            "points": points,
            "other_points": supply_points_in_scope(scope=request.scope)
            .filter(customer=customer)
            .exclude(pk__in=[p.pk for p in points])
            .order_by("code"),
            "offers": offers_in_scope(scope=request.scope)
            .filter(opportunity=opportunity)
            .select_related("template")
            .prefetch_related(Prefetch("versions", queryset=versions)),
            "open": opportunity.stage not in CLOSED_STAGES,
            "offer_form": offer_form or _offer_form(opportunity, points),
            "needs_signer": needs_signer,
            "signer_form": signer_form or SigningPersonForm(),
        },
    )


@partner_page
def opportunity_detail(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    return _opportunity_page(request, _opportunity(request, opportunity_id))


@partner_page
def opportunity_point_new(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """Register the customer's supply point (PPE/PPG, DSO, tariff group, consumption, address) on the
    opportunity, as it is on the customer's bill."""
    opportunity = _opportunity(request, opportunity_id)
    customer = opportunity.customer
    if opportunity.stage in CLOSED_STAGES:
        messages.error(request, _("This opportunity is closed."))
        return redirect("partners:opportunity", opportunity_id=opportunity.pk)
    if request.method == "POST":
        form = SupplyPointForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    point = supply_point_create(
                        company=opportunity.company,
                        customer=customer,
                        data=form.supply_point_data(),
                        actor=request.user,
                        now=system_clock.now(),
                    )
                    opportunity.supply_points.add(point)
            except ValidationFailed as failed:
                for error in failed.errors:
                    if error.field == "code" and error.code == "duplicate":
                        form.add_error("code", already_known())
                    else:
                        form.add_domain_errors(ValidationFailed([error]))
            else:
                dispatch_on_commit()
                messages.success(request, _("Supply point %(code)s added.") % {"code": point.code})
                return redirect("partners:opportunity", opportunity_id=opportunity.pk)
    else:
        address = customer.address
        initial = {f"address_{name}": getattr(address, name) for name in ADDRESS_FIELDS}
        commodity = (
            opportunity.commodity if opportunity.commodity in ("electricity", "gas") else "electricity"
        )
        lead = opportunity.lead
        code = opportunity.new_supply_point_codes.split(",")[0].strip()
        form = SupplyPointForm(
            initial={
                "commodity": commodity,
                "code": code,
                "annual_consumption_kwh": lead.annual_consumption_kwh if lead else None,
                **initial,
            }
        )
    return render(
        request,
        "partners/sales/point_new.html",
        {"form": form, "opportunity": opportunity, "customer": customer},
    )


@partner_page
@require_POST
def opportunity_point_add(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """Add one of the customer's known supply points to the opportunity."""
    opportunity = _opportunity(request, opportunity_id)
    point = get_object_or_404(
        supply_points_in_scope(scope=request.scope).filter(customer_id=opportunity.customer_id),
        pk=request.POST.get("supply_point") or 0,
    )
    if opportunity.stage in CLOSED_STAGES:
        messages.error(request, _("This opportunity is closed."))
    else:
        opportunity.supply_points.add(point)
    return redirect("partners:opportunity", opportunity_id=opportunity.pk)


@partner_page
@require_POST
def opportunity_signer_add(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """The person who signs for a business customer."""
    opportunity = _opportunity(request, opportunity_id)
    form = SigningPersonForm(request.POST)
    if form.is_valid():
        try:
            contact_add(
                customer=opportunity.customer,
                data=form.contact_data(),
                actor=request.user,
                now=system_clock.now(),
            )
        except ValidationFailed as failed:
            form.add_domain_errors(failed)
        else:
            messages.success(request, _("Signing person saved."))
            return redirect("partners:opportunity", opportunity_id=opportunity.pk)
    return _opportunity_page(request, opportunity, signer_form=form)


@partner_page
@require_POST
def offer_new(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """The offer calculator: price the opportunity's supply points and compare."""
    opportunity = _opportunity(request, opportunity_id)
    points = list(opportunity.supply_points.select_related("tariff_group").order_by("code"))
    form = _offer_form(opportunity, points, request.POST)
    if form.is_valid():
        try:
            offer = offer_create(
                opportunity=opportunity,
                data=form.offer_data(),
                on_date=today(),
                actor=request.user,
                now=system_clock.now(),
            )
        except DomainError as failed:
            form_refusal_show(form, failed)
        else:
            dispatch_on_commit()
            return redirect("partners:offer", offer_id=offer.pk)
    return _opportunity_page(request, opportunity, offer_form=form)


# --- offers ----------------------------------------------------------------------------------------------


def _offer(request: HttpRequest, offer_id: int) -> Offer:
    return get_object_or_404(
        offers_in_scope(scope=request.scope).select_related(
            "opportunity__customer", "opportunity__organisation", "template__product"
        ),
        pk=offer_id,
    )


def _version_rows(offer: Offer) -> list[dict]:
    rows = []
    for version in offer.versions.select_related("price_list", "current_competitor").order_by("-version"):
        points = [
            {**p, "basis_label": BASIS_LABELS.get(p["basis"], p["basis"])}
            for p in version.comparison.get("points", [])
        ]
        rows.append({"version": version, "comparison": version.comparison, "points": points})
    return rows


@partner_page
def offer_detail(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _offer(request, offer_id)
    latest = offer_latest(offer=offer)
    return render(
        request,
        "partners/sales/offer.html",
        {
            "offer": offer,
            "latest": latest,
            "versions": _version_rows(offer),
            "contract": contracts_in_scope(scope=request.scope).filter(offer_version__offer=offer).first(),
            "open": offer.status in (OfferStatus.DRAFT, OfferStatus.SENT),
            "expired": latest.valid_until < today() or latest.start_date < today(),
        },
    )


@partner_page
@require_POST
def offer_action(request: HttpRequest, offer_id: int) -> HttpResponse:
    """The customer's answer: accepted (the contract is generated, ready to sign) or rejected (why)."""
    offer = _offer(request, offer_id)
    action, now = request.POST.get("action"), system_clock.now()
    try:
        if action == "accept":
            contract = offer_accept(offer=offer, on_date=today(), actor=request.user, now=now)
            dispatch_on_commit()
            messages.success(
                request, _("Contract %(number)s is ready to sign.") % {"number": contract.number}
            )
            return redirect("partners:contract", contract_id=contract.pk)
        if action == "reject":
            offer_reject(offer=offer, reason=request.POST.get("reason", ""), actor=request.user, now=now)
            dispatch_on_commit()
        else:
            return HttpResponse(status=400)
    except DomainError as failed:
        refusal_show(request, failed)
    return redirect("partners:offer", offer_id=offer.pk)


@partner_page
def offer_version_pdf(request: HttpRequest, offer_id: int, version: int) -> HttpResponse:
    offer = _offer(request, offer_id)
    row = get_object_or_404(offer.versions.select_related("price_list"), version=version)
    pdf = offer_pdf(version=row, issued_on=row.created_at.astimezone(WARSAW).date())
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"{offer.number.replace('/', '-')}-v{version}.pdf"
    response["Content-Disposition"] = content_disposition_header(False, name)
    return response


# --- contracts -------------------------------------------------------------------------------------------
