"""Partner portal: contracts with the built-in e-signature, their documents and the switch of each point.
Every read goes through the agent's scope."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError
from kilowatt.interfaces.partners.access import partner_page
from kilowatt.interfaces.partners.common import (
    company_of,
    dispatch_on_commit,
    page_of,
    query_without_page,
    refusal_show,
)
from kilowatt.interfaces.partners.sales_pages import (
    contract_rows,
    contract_switch_lines,
    contracts_visible,
    switch_words,
)
from kilowatt.sales.models import (
    Contract,
    ContractStatus,
    LeadStatus,
    OpportunityStage,
    SignatureParty,
    SignatureProvider,
    SignatureStatus,
)
from kilowatt.sales.scope import (
    contracts_in_scope,
)
from kilowatt.sales.signatures import (
    SignerChannel,
    signature_code_confirm,
    signature_code_resend,
    signature_request_start,
)
from kilowatt.switching.models import SwitchCaseStep
from kilowatt.switching.queries import cases_of_company

OPEN_LEADS = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)
CLOSED_STAGES = (OpportunityStage.WON, OpportunityStage.LOST)


@partner_page
def contract_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    text = request.GET.get("q", "").strip()
    contracts = contracts_visible(request).order_by("-created_at", "-pk")
    if status in ContractStatus.values:
        contracts = contracts.filter(status=status)
    if text:
        contracts = contracts.filter(
            Q(number__icontains=text) | Q(customer__search_text__icontains=text.lower())
        )
    page = page_of(request, contracts)
    return render(
        request,
        "partners/sales/contracts.html",
        {
            "page": page,
            "rows": contract_rows(page.object_list),
            "status": status,
            "statuses": ContractStatus.choices,
            "q": text,
            "query": query_without_page(request),
        },
    )


def _contract(request: HttpRequest, contract_id: int) -> Contract:
    return get_object_or_404(
        contracts_in_scope(scope=request.scope).select_related(
            "customer", "product", "price_list", "offer_version__offer", "agent"
        ),
        pk=contract_id,
    )


@partner_page
def contract_detail(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = _contract(request, contract_id)
    requests = list(
        contract.signature_requests.prefetch_related("parties__signer").order_by("-created_at", "-pk")
    )
    steps = SwitchCaseStep.objects.order_by("position")
    cases = list(
        cases_of_company(company=company_of(request))
        .filter(contract=contract)
        .prefetch_related(Prefetch("steps", queryset=steps))
    )
    return render(
        request,
        "partners/sales/contract.html",
        {
            "contract": contract,
            "signers": contract.signers.all(),
            "documents": contract.documents.defer("content").order_by("-created_at", "-pk"),
            "points": contract.supply_point_links.select_related("supply_point__tariff_group"),
            "signature_requests": requests,
            "pending": next((r for r in requests if r.status == SignatureStatus.PENDING), None),
            "cases": [(case, switch_words(case)) for case in cases],
            "switch": contract_switch_lines(contract, cases),
        },
    )


@partner_page
@require_POST
def contract_signature(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The built-in e-signature: send the one-time codes (SMS or e-mail), enter the code the customer
    received (typed on the agent's tablet), or send a new code."""
    contract = _contract(request, contract_id)
    post, now = request.POST, system_clock.now()
    action = post.get("action")
    try:
        if action == "start":
            channels = [
                SignerChannel(signer.pk, post.get(f"channel_{signer.pk}", ""))
                for signer in contract.signers.all()
            ]
            signature_request_start(
                contract=contract, provider=SignatureProvider.BUILTIN, channels=channels, now=now
            )
            dispatch_on_commit()
            messages.success(request, _("The codes were sent: ask the customer for the code they received."))
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
                # Typed on the agent's device: the audit page says so and names who was there.
                device = _("partner portal, entered with %(agent)s of %(organisation)s") % {
                    "agent": request.user.get_username(),
                    "organisation": request.agent.organisation.name,
                }
                signature_code_confirm(
                    party=party,
                    code=post.get("code", ""),
                    ip_address=request.META.get("REMOTE_ADDR") or None,
                    user_agent=f"{device} · {request.headers.get('User-Agent', '')}",
                    now=now,
                )
                dispatch_on_commit()  # a signed contract opens its switch cases
                party.refresh_from_db(fields=["signed_at"])
                messages.success(request, _("%(name)s has signed.") % {"name": party.signer.name})
        else:
            return HttpResponse(status=400)
    except DomainError as failed:
        refusal_show(request, failed)
    return redirect("partners:contract", contract_id=contract.pk)


@partner_page
def contract_document(request: HttpRequest, contract_id: int, document_id: int) -> HttpResponse:
    """A file kept for the contract (the contract, the signed contract), byte for byte."""
    contract = _contract(request, contract_id)
    document = get_object_or_404(contract.documents, pk=document_id)
    response = HttpResponse(bytes(document.content), content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(False, document.file_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
