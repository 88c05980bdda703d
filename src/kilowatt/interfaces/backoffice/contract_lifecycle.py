"""Back office pages of a contract after signing: its changes at a glance, annexes (made, signed or
cancelled), cession, termination (the end and the penalty shown before it is confirmed), the contracts
ending soon with renewal offers, and any document of a contract to download. One domain call per action;
everything is scoped to the company the person acts for (another company's records are 404)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kilowatt.catalog.models import PriceList
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError, FieldError, ValidationFailed
from kilowatt.core.permissions import MANAGE_CONTRACTS
from kilowatt.interfaces.backoffice.views import messages_from, staff_page
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Customer
from kilowatt.sales.lifecycle import (
    AnnexChanges,
    annex_cancel,
    annex_create,
    annex_sign,
    contract_cede,
    contract_terminate,
    contracts_ending,
    renewal_offer_prepare,
    renewal_offers_prepare,
    termination_quote,
)
from kilowatt.sales.models import (
    BILLING_CYCLES,
    AnnexKind,
    Contract,
    ContractAnnex,
    ContractDocument,
    OfferTemplate,
    TerminationParty,
)
from kilowatt.sales.queries import contract_of_company

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DEFAULT_DAYS = 60


def _contract(request: HttpRequest, contract_id: int) -> Contract:
    contract = contract_of_company(company=request.company, contract_id=contract_id)
    if contract is None:
        raise Http404
    return contract


def _errors_to_form(form: forms.Form, failed: DomainError, names: dict[str, str] | None = None) -> None:
    """Each domain error under the form field it names (or above the form when no field fits)."""
    errors = (
        failed.errors
        if isinstance(failed, ValidationFailed)
        else [FieldError(failed.field or "", failed.message)]
    )
    for error in errors:
        name = (names or {}).get(error.field, error.field)
        form.add_error(name if name in form.fields else None, error.message)


def _page(request: HttpRequest, contract: Contract, form: forms.Form, title: str, **extra) -> HttpResponse:
    return render(
        request,
        "backoffice/lifecycle/form.html",
        {"contract": contract, "form": form, "title": title, **extra},
    )


@staff_page(MANAGE_CONTRACTS)
def contract_changes(request: HttpRequest, contract_id: int) -> HttpResponse:
    """A contract's annexes, price terms, cession and termination, with the forms to change it."""
    contract = _contract(request, contract_id)
    return render(
        request,
        "backoffice/lifecycle/contract.html",
        {
            "contract": contract,
            "annexes": contract.annexes.all(),
            "terms": contract.price_terms.select_related("price_list", "annex"),
            "cession": getattr(contract, "cession", None),
            "ceded_from": getattr(contract, "ceded_from", None),
            "termination": getattr(contract, "termination", None),
            "documents": contract.documents.defer("content").select_related("annex"),
        },
    )


class AnnexForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What changes"), choices=AnnexKind.choices)
    effective_from = forms.DateField(label=gettext_lazy("In force from"), widget=DATE)
    price_list = forms.ModelChoiceField(
        label=gettext_lazy("New price list (price change)"), queryset=PriceList.objects.none(), required=False
    )
    supply_points = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Supply points to add"),
        queryset=SupplyPoint.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    billing_cycle_months = forms.TypedChoiceField(
        label=gettext_lazy("New billing cycle"),
        choices=[("", "—"), *BILLING_CYCLES],
        coerce=int,
        empty_value=None,
        required=False,
    )
    payment_term_days = forms.IntegerField(label=gettext_lazy("New payment term (days)"), required=False)
    forecast_billing = forms.TypedChoiceField(
        label=gettext_lazy("Forecast invoices"),
        choices=[("", gettext_lazy("unchanged")), ("1", gettext_lazy("yes")), ("0", gettext_lazy("no"))],
        coerce=lambda value: value == "1",
        empty_value=None,
        required=False,
    )

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price_list"].queryset = (
            PriceList.objects.filter(company_id=contract.company_id)
            .select_related("product")
            .order_by("product__name", "-valid_from")
        )
        self.fields["supply_points"].queryset = SupplyPoint.objects.filter(
            company_id=contract.company_id, customer_id=contract.customer_id
        ).exclude(contract_links__contract=contract)


ANNEX_FIELDS = {"price_list_id": "price_list", "supply_point_ids": "supply_points"}


@staff_page(MANAGE_CONTRACTS)
def annex_new(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = _contract(request, contract_id)
    form = AnnexForm(request.POST or None, contract=contract)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = AnnexChanges(
            price_list_id=data["price_list"].pk if data["price_list"] else None,
            supply_point_ids=[p.pk for p in data["supply_points"]],
            billing_cycle_months=data["billing_cycle_months"],
            payment_term_days=data["payment_term_days"],
            forecast_billing=data["forecast_billing"],
        )
        try:
            annex = annex_create(
                contract=contract,
                kind=data["kind"],
                effective_from=data["effective_from"],
                changes=changes,
                actor=request.user,
                now=system_clock.now(),
            )
        except DomainError as failed:
            _errors_to_form(form, failed, ANNEX_FIELDS)
        else:
            messages.success(request, _("Annex %(number)s is ready to sign.") % {"number": annex.number})
            return redirect("backoffice:annex", contract_id=contract.pk, annex_id=annex.pk)
    return _page(request, contract, form, _("New annex"), submit=_("Make the annex"))


def _annex(request: HttpRequest, contract_id: int, annex_id: int) -> ContractAnnex:
    annex = ContractAnnex.objects.filter(contract=_contract(request, contract_id), pk=annex_id).first()
    if annex is None:
        raise Http404
    return annex


@staff_page(MANAGE_CONTRACTS)
def annex_detail(request: HttpRequest, contract_id: int, annex_id: int) -> HttpResponse:
    annex = _annex(request, contract_id, annex_id)
    return render(
        request,
        "backoffice/lifecycle/annex.html",
        {
            "annex": annex,
            "contract": annex.contract,
            "documents": annex.documents.defer("content"),
            "today": system_clock.today().isoformat(),
        },
    )


@staff_page(MANAGE_CONTRACTS)
@require_POST
def annex_action(request: HttpRequest, contract_id: int, annex_id: int) -> HttpResponse:
    """Sign (on the day the parties signed) or cancel a draft annex."""
    annex = _annex(request, contract_id, annex_id)
    action, now = request.POST.get("action"), system_clock.now()
    try:
        if action == "sign":
            try:
                on_date = date.fromisoformat(request.POST.get("on_date", ""))
            except ValueError:
                raise ValidationFailed.single("on_date", _("Give the day the annex was signed.")) from None
            annex_sign(annex=annex, on_date=on_date, actor=request.user, now=now)
            messages.success(request, _("Annex %(number)s is signed and applied.") % {"number": annex.number})
        elif action == "cancel":
            annex_cancel(annex=annex, actor=request.user, now=now)
            messages.success(request, _("Annex %(number)s is cancelled.") % {"number": annex.number})
        else:
            return HttpResponse(status=400)
    except DomainError as failed:
        messages_from(request, failed)
    return redirect("backoffice:annex", contract_id=annex.contract_id, annex_id=annex.pk)


class CessionForm(forms.Form):
    new_customer = forms.CharField(label=gettext_lazy("New customer (customer number)"))
    effective_from = forms.DateField(label=gettext_lazy("New customer takes over on"), widget=DATE)


@staff_page(MANAGE_CONTRACTS)
def contract_cession(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = _contract(request, contract_id)
    form = CessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["new_customer"].strip()
        customer = Customer.objects.filter(company=request.company, number=number).first()
        try:
            if customer is None:
                raise ValidationFailed.single("new_customer", _("Customer not found."), code="not_found")
            cession = contract_cede(
                contract=contract,
                new_customer=customer,
                effective_from=form.cleaned_data["effective_from"],
                actor=request.user,
                now=system_clock.now(),
            )
        except DomainError as failed:
            _errors_to_form(form, failed)
        else:
            messages.success(
                request,
                _("Contract %(old)s is ceded; the new customer's contract is %(new)s.")
                % {"old": contract.number, "new": cession.new_contract.number},
            )
            return redirect("backoffice:contract", contract_id=cession.new_contract_id)
    intro = _(
        "The contract ends on the day the new customer takes over; a new contract with the same terms "
        "and supply points starts that day for the new customer, signed by their signing persons."
    )
    return _page(request, contract, form, _("Cession"), intro=intro, submit=_("Cede the contract"))


class TerminationForm(forms.Form):
    initiated_by = forms.ChoiceField(label=gettext_lazy("Given by"), choices=TerminationParty.choices)
    received_on = forms.DateField(label=gettext_lazy("Notice received on"), widget=DATE)
    requested_end = forms.DateField(
        label=gettext_lazy("End asked for (optional)"), widget=DATE, required=False
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)


@staff_page(MANAGE_CONTRACTS)
def contract_termination(request: HttpRequest, contract_id: int) -> HttpResponse:
    """First the end and the penalty are computed and shown; only the confirmed form records them."""
    contract = _contract(request, contract_id)
    form = TerminationForm(request.POST or None, initial={"received_on": system_clock.today()})
    quote = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if request.POST.get("confirm") == "1":
                contract_terminate(contract=contract, actor=request.user, now=system_clock.now(), **data)
                messages.success(
                    request, _("Contract %(number)s is terminated.") % {"number": contract.number}
                )
                return redirect("backoffice:contract_changes", contract_id=contract.pk)
            quote = termination_quote(
                contract=contract,
                initiated_by=data["initiated_by"],
                received_on=data["received_on"],
                requested_end=data["requested_end"],
            )
        except DomainError as failed:
            _errors_to_form(form, failed)
    return _page(
        request,
        contract,
        form,
        _("Termination"),
        quote=quote,
        submit=_("Confirm the termination") if quote else _("Compute the end and the penalty"),
    )


def _staff(company):
    return get_user_model().objects.filter(memberships__company=company).distinct().order_by("username")


def _days(request: HttpRequest) -> int:
    value = request.GET.get("days") or request.POST.get("days") or ""
    return min(int(value), 366) if value.isdigit() else DEFAULT_DAYS


@staff_page(MANAGE_CONTRACTS)
def contracts_ending_list(request: HttpRequest) -> HttpResponse:
    days, today = _days(request), system_clock.today()
    return render(
        request,
        "backoffice/lifecycle/ending.html",
        {
            "days": days,
            "contracts": contracts_ending(company=request.company, within_days=days, on_date=today),
            "templates": OfferTemplate.objects.filter(company=request.company, is_active=True),
            "price_lists": PriceList.objects.filter(company=request.company)
            .exclude(valid_to__lte=today)
            .select_related("product")
            .order_by("product__name", "-valid_from"),
            "staff": _staff(request.company),
        },
    )


@staff_page(MANAGE_CONTRACTS)
@require_POST
def renewal_prepare(request: HttpRequest) -> HttpResponse:
    """Renewal offers: for one contract of the list (then its offer opens) or for the whole list."""
    company, post, days = request.company, request.POST, _days(request)
    template = OfferTemplate.objects.filter(company=company, pk=post.get("template") or 0).first()
    price_list = PriceList.objects.filter(company=company, pk=post.get("price_list") or 0).first()
    owner = _staff(company).filter(pk=post.get("owner") or 0).first() or request.user
    today, now = system_clock.today(), system_clock.now()
    back = f"{reverse('backoffice:contracts_ending')}?days={days}"
    if post.get("contract"):
        contract = _contract(request, int(post["contract"]) if post["contract"].isdigit() else 0)
        try:
            offer = renewal_offer_prepare(
                contract=contract, template=template, price_list=price_list, owner=owner,
                on_date=today, actor=request.user, now=now,
            )  # fmt: skip
        except DomainError as failed:
            messages.error(request, f"{contract.number}: {failed.message}")
            return redirect(back)
        return redirect("backoffice:offer", offer_id=offer.pk)
    batch = renewal_offers_prepare(
        company=company, within_days=days, template=template, price_list=price_list, owner=owner,
        on_date=today, now=now, actor=request.user,
    )  # fmt: skip
    messages.success(request, _("Renewal offers prepared: %(count)s.") % {"count": len(batch.offers)})
    for contract, message in batch.refused:
        messages.error(request, f"{contract.number}: {message}")
    return redirect(back)


@staff_page(MANAGE_CONTRACTS)
def contract_document(request: HttpRequest, contract_id: int, document_id: int) -> HttpResponse:
    """Any file kept for a contract (contract, annex, termination, signed copies), byte for byte."""
    document = ContractDocument.objects.filter(
        contract=_contract(request, contract_id), pk=document_id
    ).first()
    if document is None:
        raise Http404
    response = HttpResponse(bytes(document.content), content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(False, document.file_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
