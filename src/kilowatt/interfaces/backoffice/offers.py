"""Back office pages of offers (made on the opportunity page, revised, sent, accepted or rejected, printed
per version) and of a contract (its signers, documents and the built-in signature)."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kilowatt.catalog.models import CompetitorPriceList, PriceList
from kilowatt.core.clock import WARSAW, system_clock
from kilowatt.core.errors import DomainError
from kilowatt.core.permissions import MANAGE_CONTRACTS, MANAGE_LEADS
from kilowatt.interfaces.backoffice.views import messages_from, staff_page
from kilowatt.interfaces.tasks.tasks import dispatch_outbox
from kilowatt.sales.docuseal import signature_provider_default
from kilowatt.sales.models import (
    Contract,
    Offer,
    OfferTemplate,
    Opportunity,
    SignatureParty,
    SignatureProvider,
    SignatureStatus,
)
from kilowatt.sales.offers import (
    OfferData,
    offer_accept,
    offer_create,
    offer_latest,
    offer_reject,
    offer_revise,
    offer_send,
)
from kilowatt.sales.paperwork import BASIS_LABELS, offer_pdf
from kilowatt.sales.queries import contract_of_company
from kilowatt.sales.signatures import (
    SignerChannel,
    signature_code_confirm,
    signature_code_resend,
    signature_request_start,
)


def _today() -> date:
    return system_clock.now().astimezone(WARSAW).date()


def _opportunity(request: HttpRequest, opportunity_id: int) -> Opportunity:
    opportunity = Opportunity.objects.filter(company=request.company, pk=opportunity_id).first()
    if opportunity is None:
        raise Http404
    return opportunity


def _offer(request: HttpRequest, offer_id: int) -> Offer:
    offer = (
        Offer.objects.filter(company=request.company, pk=offer_id)
        .select_related("opportunity__customer", "template__product")
        .first()
    )
    if offer is None:
        raise Http404
    return offer


def offer_form_context(*, opportunity: Opportunity, on_date: date) -> dict:
    """What the new-offer form offers: active templates, price lists valid from today, the competitor
    price lists (one of them may be what the customer pays now), the points for a zone split."""
    company = opportunity.company
    points = list(opportunity.supply_points.select_related("tariff_group"))
    return {
        "templates": OfferTemplate.objects.filter(company=company, is_active=True).select_related("product"),
        "price_lists": PriceList.objects.filter(company=company, product__is_active=True)
        .exclude(valid_to__lte=on_date)
        .select_related("product")
        .order_by("product__name", "-valid_from"),
        "competitor_lists": CompetitorPriceList.objects.filter(
            company=company, commodity=opportunity.commodity
        )
        .exclude(valid_to__lte=on_date)
        .order_by("competitor", "name"),
        "zone_points": [(p, p.tariff_group.zones or ["all"]) for p in points],
        "default_start": (on_date.replace(day=1) + timedelta(days=32)).replace(day=1),
        "offers": opportunity.offers.order_by("-created_at").prefetch_related("versions"),
        "customer_points": opportunity.customer.supply_points.exclude(
            pk__in=[p.pk for p in points]
        ).select_related("tariff_group"),
    }


def _offer_data(request: HttpRequest) -> OfferData:
    post = request.POST

    def number(name: str) -> int | None:
        value = post.get(name, "")
        return int(value) if value.isdigit() else None

    try:
        start = date.fromisoformat(post.get("start_date", ""))
    except ValueError:
        start = None
    splits: dict[int, dict[str, str]] = {}
    for key, value in post.items():
        if key.startswith("zone_") and value.strip():
            _prefix, point_id, zone = (key.split("_", 2) + ["", ""])[:3]
            if point_id.isdigit() and zone:
                splits.setdefault(int(point_id), {})[zone] = value
    return OfferData(
        template_id=number("template"),
        price_list_id=number("price_list"),
        start_date=start,
        language=post.get("language", "pl"),
        current_competitor_id=number("current_competitor"),
        zone_splits=splits,
        note=post.get("note", ""),
    )


@staff_page(MANAGE_LEADS)
@require_POST
def offer_new(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    opportunity = _opportunity(request, opportunity_id)
    try:
        offer = offer_create(
            opportunity=opportunity,
            data=_offer_data(request),
            on_date=_today(),
            actor=request.user,
            now=system_clock.now(),
        )
    except DomainError as failed:
        messages_from(request, failed)
        return redirect("backoffice:opportunity", opportunity_id=opportunity.pk)
    return redirect("backoffice:offer", offer_id=offer.pk)


@staff_page(MANAGE_LEADS)
@require_POST
def opportunity_point_add(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    opportunity = _opportunity(request, opportunity_id)
    point = opportunity.customer.supply_points.filter(pk=request.POST.get("supply_point") or 0).first()
    if point is None:
        raise Http404
    opportunity.supply_points.add(point)
    return redirect("backoffice:opportunity", opportunity_id=opportunity.pk)


def _version_rows(offer: Offer) -> list[dict]:
    rows = []
    for version in offer.versions.select_related("price_list", "current_competitor").order_by("-version"):
        comparison = version.comparison
        points = [
            {**p, "basis_label": BASIS_LABELS.get(p["basis"], p["basis"])}
            for p in comparison.get("points", [])
        ]
        rows.append({"version": version, "comparison": comparison, "points": points})
    return rows


@staff_page(MANAGE_LEADS)
def offer_detail(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _offer(request, offer_id)
    today = _today()
    latest = offer_latest(offer=offer)
    contract = Contract.objects.filter(offer_version__offer=offer).first()
    return render(
        request,
        "backoffice/sales/offer.html",
        {
            "offer": offer,
            "latest": latest,
            "versions": _version_rows(offer),
            "contract": contract,
            "open": offer.status in ("draft", "sent"),
            "expired": latest.valid_until < today,
            **offer_form_context(opportunity=offer.opportunity, on_date=today),
        },
    )


@staff_page(MANAGE_LEADS)
@require_POST
def offer_action(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _offer(request, offer_id)
    action, now = request.POST.get("action"), system_clock.now()
    try:
        if action == "send":
            offer_send(offer=offer, now=now)
        elif action == "revise":
            offer_revise(
                offer=offer, data=_offer_data(request), on_date=_today(), actor=request.user, now=now
            )
        elif action == "reject":
            offer_reject(offer=offer, reason=request.POST.get("reason", ""), actor=request.user, now=now)
        elif action == "accept":
            contract = offer_accept(offer=offer, on_date=_today(), actor=request.user, now=now)
            messages.success(
                request, _("Contract %(number)s is ready to sign.") % {"number": contract.number}
            )
            return redirect("backoffice:contract", contract_id=contract.pk)
        else:
            return HttpResponse(status=400)
    except DomainError as failed:
        messages_from(request, failed)
    return redirect("backoffice:offer", offer_id=offer.pk)


@staff_page(MANAGE_LEADS)
def offer_version_pdf(request: HttpRequest, offer_id: int, version: int) -> HttpResponse:
    offer = _offer(request, offer_id)
    row = offer.versions.select_related("price_list").filter(version=version).first()
    if row is None:
        raise Http404
    pdf = offer_pdf(version=row, issued_on=row.created_at.astimezone(WARSAW).date())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{offer.number.replace("/", "-")}-v{version}.pdf"'
    return response


def _contract(request: HttpRequest, contract_id: int) -> Contract:
    contract = contract_of_company(company=request.company, contract_id=contract_id)
    if contract is None:
        raise Http404
    return contract


@staff_page(MANAGE_CONTRACTS)
def contract_detail(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = _contract(request, contract_id)
    requests = contract.signature_requests.prefetch_related("parties__signer").order_by("-created_at")
    return render(
        request,
        "backoffice/sales/contract.html",
        {
            "contract": contract,
            "signers": contract.signers.all(),
            "documents": contract.documents.defer("content").select_related("annex"),
            "points": contract.supply_point_links.select_related("supply_point__tariff_group"),
            "signature_requests": requests,
            "switch_cases": contract.switch_cases.select_related("supply_point").order_by("-created_at"),
            "pending": next((r for r in requests if r.status == SignatureStatus.PENDING), None),
            "providers": SignatureProvider.choices,
            "default_provider": signature_provider_default(),
        },
    )


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@staff_page(MANAGE_CONTRACTS)
@require_POST
def contract_signature(request: HttpRequest, contract_id: int) -> HttpResponse:
    """Send for signature, enter a signer's code (typed by the customer on the salesperson's tablet or
    read out), or send a new code."""
    contract = _contract(request, contract_id)
    post, now = request.POST, system_clock.now()
    action = post.get("action")
    try:
        if action == "start":
            channels = [
                SignerChannel(signer.pk, post.get(f"channel_{signer.pk}", ""))
                for signer in contract.signers.all()
            ]
            provider = post.get("provider") or signature_provider_default()
            if provider not in SignatureProvider.values:
                return HttpResponse(status=400)
            signature_request_start(contract=contract, provider=provider, channels=channels, now=now)
            messages.success(request, _("The contract was sent for signature."))
        elif action in ("confirm", "resend"):
            party = SignatureParty.objects.filter(
                request__contract=contract, pk=post.get("party") or 0
            ).first()
            if party is None:
                raise Http404
            if action == "resend":
                signature_code_resend(party=party, now=now)
                messages.success(request, _("A new code was sent."))
            else:
                # Typed on the company's device: the audit page says so and names who was there.
                device = _("back office, entered with %(user)s") % {"user": request.user.get_username()}
                signature_code_confirm(
                    party=party,
                    code=post.get("code", ""),
                    ip_address=_client_ip(request),
                    user_agent=f"{device} · {request.headers.get('User-Agent', '')}",
                    now=now,
                )
                transaction.on_commit(dispatch_outbox.delay)  # a signed contract opens its switch cases
        else:
            return HttpResponse(status=400)
    except DomainError as failed:
        messages_from(request, failed)
    return redirect("backoffice:contract", contract_id=contract.pk)
