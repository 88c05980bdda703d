"""Partner portal, sales: leads and customers, the home panels, and the state of a switch of supplier
in plain words (offers: ``offer_pages``; contracts: ``contract_pages``).

Every read goes through the agent's scope (``kilowatt.sales.scope``): an id outside it is a 404, whatever
the page. Each view reads the request, calls one domain operation, renders."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kilowatt.core.clock import system_clock
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Company
from kilowatt.interfaces.partners.access import partner_page
from kilowatt.interfaces.partners.common import (
    already_known,
    company_of,
    day_text,
    dispatch_on_commit,
    page_of,
    query_without_page,
)
from kilowatt.interfaces.partners.forms import (
    LeadConvertForm,
    PartnerLeadForm,
)
from kilowatt.network.models import SupplyPoint
from kilowatt.sales.leads import lead_create
from kilowatt.sales.models import (
    Contract,
    ContractStatus,
    Lead,
    LeadStatus,
    OpportunityStage,
)
from kilowatt.sales.opportunities import lead_convert
from kilowatt.sales.scope import (
    contracts_in_scope,
    customers_in_scope,
    leads_in_scope,
    offers_in_scope,
    opportunities_in_scope,
)
from kilowatt.switching.models import CaseStatus, StepCode, SwitchCase
from kilowatt.switching.queries import cases_of_company

OPEN_LEADS = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)
CLOSED_STAGES = (OpportunityStage.WON, OpportunityStage.LOST)


@dataclass(frozen=True)
class SwitchLine:
    point_code: str
    words: str
    tone: str  # "" (under way), "ok" (done) or "warn" (needs attention)


# What is being done while a case is at a step (the steps' own names say what is done once it is).
STEP_WORDS = {
    StepCode.DOCUMENTS: gettext_lazy("preparing the documents"),
    StepCode.TERMINATION_NOTICE: gettext_lazy("giving notice to the previous supplier"),
    StepCode.DISTRIBUTION_AGREEMENT: gettext_lazy("checking the distribution agreement"),
    StepCode.SUBMISSION: gettext_lazy("sending the switch to the grid operator"),
    StepCode.VERIFICATION: gettext_lazy("the grid operator is checking it"),
    StepCode.SUPPLY_START: gettext_lazy("waiting for the start of supply"),
    StepCode.FIRST_READING: gettext_lazy("waiting for the first meter reading"),
}


def switch_words(case: SwitchCase) -> SwitchLine:
    """One switch case as an agent tells it to the customer."""
    status = case.status
    tone = ""
    if status == CaseStatus.OPEN:
        code = getattr(case, "current_code", None)
        doing = STEP_WORDS.get(code) or _("preparing the documents")
        words = _("Being prepared by us: %(doing)s") % {"doing": doing}
    elif status == CaseStatus.SUBMITTED:
        words = _("Sent to the grid operator; waiting for its answer")
    elif status == CaseStatus.ACCEPTED:
        words = _("Accepted by the grid operator: supply from us starts on %(day)s") % {
            "day": day_text(case.start_date or case.requested_start)
        }
    elif status == CaseStatus.REJECTED:
        tone = "warn"
        words = _("Held up by the grid operator: %(reason)s. The back office is dealing with it.") % {
            "reason": case.rejection_reason or case.rejection_code or _("no reason given")
        }
    elif status == CaseStatus.COMPLETED:
        tone = "ok"
        words = _("Switched: supply from us since %(day)s") % {"day": day_text(case.start_date)}
    elif status == CaseStatus.WITHDRAWN:
        tone = "warn"
        words = _("Withdrawn by the customer")
    else:
        tone = "warn"
        words = _("Switch cancelled")
    return SwitchLine(case.supply_point.code, words, tone)


def contract_switch_lines(contract: Contract, cases: list[SwitchCase]) -> list[SwitchLine]:
    """The switch of a contract's supply points in plain words; before there is a case, what comes next."""
    if cases:
        return [switch_words(case) for case in cases]
    if contract.status == ContractStatus.DRAFT:
        return [SwitchLine("", _("Not signed yet: the switch starts once the customer signs"), "")]
    if contract.status == ContractStatus.SIGNED:
        return [SwitchLine("", _("Signed: the back office opens the switch of supplier"), "")]
    return []


def with_switch_cases(contracts: QuerySet[Contract], company: Company) -> QuerySet[Contract]:
    return contracts.prefetch_related(
        Prefetch("switch_cases", queryset=cases_of_company(company=company), to_attr="cases")
    )


def contract_rows(contracts) -> list[dict]:
    return [{"contract": c, "switch": contract_switch_lines(c, c.cases)} for c in contracts]


def contracts_visible(request: HttpRequest) -> QuerySet[Contract]:
    return with_switch_cases(
        contracts_in_scope(scope=request.scope).select_related("customer", "product", "agent"),
        company_of(request),
    )


# --- home page panels ------------------------------------------------------------------------------------


def home_panels(request: HttpRequest) -> list[dict]:
    """Panels this part adds to the portal's home page: dicts with ``template`` and its context."""
    recent = contracts_visible(request).order_by("-created_at", "-pk")[:5]
    leads = leads_in_scope(scope=request.scope).filter(status__in=OPEN_LEADS)
    return [
        {
            "template": "partners/sales/panel_contracts.html",
            "rows": contract_rows(recent),
        },
        {
            "template": "partners/sales/panel_leads.html",
            "leads": list(leads.order_by("created_at", "pk")[:5]),
            "count": leads.count(),
        },
    ]


# --- leads -----------------------------------------------------------------------------------------------


@partner_page
def lead_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    text = request.GET.get("q", "").strip()
    leads = leads_in_scope(scope=request.scope).select_related("agent", "organisation")
    if status == "open":
        leads = leads.filter(status__in=OPEN_LEADS)
    elif status in LeadStatus.values:
        leads = leads.filter(status=status)
    if text:
        leads = leads.filter(
            Q(last_name__icontains=text)
            | Q(first_name__icontains=text)
            | Q(business_name__icontains=text)
            | Q(phone__icontains=text)
            | Q(email__icontains=text)
            | Q(city__icontains=text)
        )
    opportunities = opportunities_in_scope(scope=request.scope).only("pk", "lead_id", "stage")
    leads = leads.prefetch_related(Prefetch("opportunities", queryset=opportunities, to_attr="scoped"))
    return render(
        request,
        "partners/sales/leads.html",
        {
            "page": page_of(request, leads),
            "status": status,
            "q": text,
            "statuses": [("open", _("To follow up")), *LeadStatus.choices, ("all", _("All"))],
            "query": query_without_page(request),
        },
    )


@partner_page
def lead_new(request: HttpRequest) -> HttpResponse:
    form = PartnerLeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lead = lead_create(
                company=company_of(request),
                data=form.lead_data(),
                now=system_clock.now(),
                agent=request.agent,
            )
        except ValidationFailed as failed:
            form.add_domain_errors(failed)
        else:
            messages.success(request, _("Lead %(name)s saved.") % {"name": lead.display_name})
            return redirect("partners:lead", lead_id=lead.pk)
    return render(request, "partners/sales/lead_new.html", {"form": form})


def _lead(request: HttpRequest, lead_id: int) -> Lead:
    return get_object_or_404(
        leads_in_scope(scope=request.scope).select_related("agent", "organisation", "campaign"), pk=lead_id
    )


def _lead_page(request: HttpRequest, lead: Lead, form: LeadConvertForm) -> HttpResponse:
    return render(
        request,
        "partners/sales/lead.html",
        {
            "lead": lead,
            "form": form,
            "opportunities": opportunities_in_scope(scope=request.scope)
            .filter(lead=lead)
            .select_related("customer"),
        },
    )


@partner_page
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = _lead(request, lead_id)
    return _lead_page(request, lead, LeadConvertForm(initial={"address_city": lead.city}))


@partner_page
@require_POST
def lead_convert_page(request: HttpRequest, lead_id: int) -> HttpResponse:
    """The lead becomes a customer (from the lead's data and this address) and an opportunity owned by the
    agent, in the lead's organisation."""
    lead = _lead(request, lead_id)
    form = LeadConvertForm(request.POST)
    if form.is_valid():
        known = bool(lead.supply_point_code) and (
            SupplyPoint.objects.filter(company_id=lead.company_id, code=lead.supply_point_code).exists()
        )
        if known:
            # The point (and so the customer) is another's: converting would hand that customer over.
            form.add_error(None, already_known())
        else:
            try:
                opportunity = lead_convert(
                    lead=lead,
                    address=form.address_data(),
                    owner=lead.agent if lead.agent_id else request.user,
                    actor=request.user,
                    now=system_clock.now(),
                )
            except ValidationFailed as failed:
                form.add_domain_errors(failed)
            else:
                dispatch_on_commit()
                return redirect("partners:opportunity", opportunity_id=opportunity.pk)
    return _lead_page(request, lead, form)


# --- customers -------------------------------------------------------------------------------------------


@partner_page
def customer_list(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()
    customers = (
        customers_in_scope(scope=request.scope).select_related("address").order_by("search_text", "pk")
    )
    if text:
        customers = customers.filter(
            Q(search_text__icontains=text.lower()) | Q(phone__icontains=text) | Q(email__icontains=text)
        )
    return render(
        request,
        "partners/sales/customers.html",
        {"page": page_of(request, customers), "q": text, "query": query_without_page(request)},
    )


@partner_page
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    """What the scope holds of one customer: its opportunities, offers and contracts (not the 360° page)."""
    customer = get_object_or_404(
        customers_in_scope(scope=request.scope).select_related("address"), pk=customer_id
    )
    scope = request.scope
    return render(
        request,
        "partners/sales/customer.html",
        {
            "customer": customer,
            "opportunities": opportunities_in_scope(scope=scope).filter(customer=customer),
            "offers": offers_in_scope(scope=scope)
            .filter(opportunity__customer=customer)
            .select_related("template", "opportunity"),
            "rows": contract_rows(contracts_visible(request).filter(customer=customer)),
        },
    )


# --- the opportunity: supply points and the offer calculator ---------------------------------------------
