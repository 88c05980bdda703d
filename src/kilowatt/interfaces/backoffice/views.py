"""Back office pages: each view reads the request, calls one domain operation or query, renders."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kilowatt.catalog.operations import reference_data_confirm
from kilowatt.catalog.queries import distribution_tariffs_listed, national_rates_listed
from kilowatt.channels.queries import agent_of_user
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.core.models import DictionaryEntry
from kilowatt.core.operations import dictionary_entry_add
from kilowatt.core.permissions import (
    CHANGE_MASTER_DATA,
    EXPORT_DATA,
    MANAGE_CATALOG,
    MANAGE_CONTRACTS,
    MANAGE_DICTIONARIES,
    MANAGE_LEADS,
    VIEW_MASTER_DATA,
)
from kilowatt.core.queries import dictionary_entries
from kilowatt.interfaces.backoffice.forms import (
    ContactForm,
    ContractForm,
    CustomerForm,
    DomainErrorsMixin,
    MeterMountForm,
    SupplyPointForm,
)
from kilowatt.interfaces.backoffice.lists import SPECS, filtered_rows, page_of, xlsx_response
from kilowatt.interfaces.backoffice.middleware import SESSION_KEY
from kilowatt.interfaces.backoffice.panels import panels_for
from kilowatt.interfaces.tasks.tasks import dispatch_outbox
from kilowatt.network.operations import meter_mount_new, supply_point_create
from kilowatt.network.queries import supply_point_of_company, supply_points_of_company, supply_points_search
from kilowatt.parties.operations import (
    ADDRESS_FIELDS,
    consent_grant,
    consent_withdraw,
    contact_add,
    customer_create,
    customer_update,
)
from kilowatt.parties.queries import customer_of_company, customers_of_company, customers_search
from kilowatt.sales.operations import contract_change_status, contract_create
from kilowatt.sales.opportunities import activities_due
from kilowatt.sales.queries import contract_of_company, contracts_of_company, contracts_search


def customer_panel_redirect(customer_id: int, panel: str) -> HttpResponse:
    """Back to a panel of the customer's 360° page after an action taken on it."""
    return redirect(reverse("backoffice:customer", args=[customer_id]) + f"#panel-{panel}")


def messages_from(request: HttpRequest, failed: DomainError) -> None:
    """Every message of a refusal on the next page: each field's of a ValidationFailed, else its own."""
    for error in failed.errors if isinstance(failed, ValidationFailed) else [failed]:
        messages.error(request, error.message)


def staff_page(permission: str):
    """Login required, a company to act for, and the permission in that company."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.company is None:
                if agent_of_user(user=request.user) is not None:
                    return redirect("partners:home")
                return render(request, "backoffice/no_company.html", status=403)
            if permission not in request.permissions:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


@staff_page(VIEW_MASTER_DATA)
def home(request: HttpRequest) -> HttpResponse:
    company = request.company
    counts = {
        "customers": customers_of_company(company=company).count(),
        "supply_points": supply_points_of_company(company=company).count(),
        "contracts": contracts_of_company(company=company).count(),
    }
    due = []
    if MANAGE_LEADS in request.permissions:
        until = system_clock.now() + timedelta(days=1)
        due = list(activities_due(company=company, user=request.user, until=until)[:20])
    return render(
        request, "backoffice/home.html", {"counts": counts, "activities_due": due, "now": system_clock.now()}
    )


@login_required
@require_POST
def switch_company(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("company")
    company = next((c for c in getattr(request, "companies", []) if str(c.pk) == wanted), None)
    if company is None:
        raise PermissionDenied
    request.session[SESSION_KEY] = company.pk
    return redirect("backoffice:home")


@staff_page(VIEW_MASTER_DATA)
def search(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()
    company = request.company
    results = {
        "customers": customers_search(company=company, text=text),
        "supply_points": supply_points_search(company=company, text=text),
        "contracts": contracts_search(company=company, text=text),
    }
    total = sum(len(found) for found in results.values())
    if total == 1 and not request.headers.get("HX-Request"):
        only = next(found[0] for found in results.values() if found)
        customer_id = getattr(only, "customer_id", None) or only.pk
        return redirect("backoffice:customer", customer_id=customer_id)
    template = (
        "backoffice/search_suggestions.html"
        if request.headers.get("HX-Request")
        else "backoffice/search.html"
    )
    return render(request, template, {"q": text, "results": results, "total": total})


@staff_page(VIEW_MASTER_DATA)
def object_list(request: HttpRequest, list_key: str) -> HttpResponse:
    spec = SPECS.get(list_key)
    if spec is None:
        raise Http404
    if spec.permission not in request.permissions:
        raise PermissionDenied
    rows, active, sort = filtered_rows(request, spec)
    if request.GET.get("export") == "xlsx":
        if EXPORT_DATA not in request.permissions:
            raise PermissionDenied
        return xlsx_response(spec, rows, filename=f"{spec.key}-{system_clock.today().isoformat()}")
    page = page_of(request, rows)
    table = [
        (spec.detail_url(row) if spec.detail_url else None, [column.value(row) for column in spec.columns])
        for row in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "backoffice/list.html",
        {
            "spec": spec,
            "page": page,
            "table": table,
            "active": active,
            "sort": sort,
            "query": query.urlencode(),
            "can_export": EXPORT_DATA in request.permissions,
        },
    )


def _customer_or_404(request: HttpRequest, customer_id: int):
    customer = customer_of_company(company=request.company, customer_id=customer_id)
    if customer is None:
        raise Http404
    return customer


@staff_page(VIEW_MASTER_DATA)
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(request, customer_id)
    panels = [(panel, panel.context(request, customer)) for panel in panels_for(request)]
    return render(request, "backoffice/customer_detail.html", {"customer": customer, "panels": panels})


@staff_page(CHANGE_MASTER_DATA)
def customer_form(request: HttpRequest, customer_id: int | None = None) -> HttpResponse:
    customer = _customer_or_404(request, customer_id) if customer_id else None
    if request.method == "POST":
        form = CustomerForm(request.POST)
        if form.is_valid():
            try:
                if customer is None:
                    customer = customer_create(
                        company=request.company,
                        data=form.customer_data(),
                        actor=request.user,
                        now=system_clock.now(),
                    )
                else:
                    customer_update(
                        customer=customer,
                        data=form.customer_data(),
                        actor=request.user,
                        now=system_clock.now(),
                    )
                return redirect("backoffice:customer", customer_id=customer.pk)
            except ValidationFailed as exc:
                form.add_domain_errors(exc)
    else:
        form = CustomerForm(initial=CustomerForm.initial_for(customer) if customer else {"kind": "person"})
    title = _("Edit customer") if customer else _("New customer")
    return render(request, "backoffice/form.html", {"form": form, "title": title, "customer": customer})


@staff_page(CHANGE_MASTER_DATA)
def supply_point_form(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(request, customer_id)
    if request.method == "POST":
        form = SupplyPointForm(request.POST)
        if form.is_valid():
            try:
                point = supply_point_create(
                    company=request.company,
                    customer=customer,
                    data=form.supply_point_data(),
                    actor=request.user,
                    now=system_clock.now(),
                )
                opportunity = customer.opportunities.filter(pk=request.GET.get("opportunity") or 0).first()
                if opportunity is not None:
                    opportunity.supply_points.add(point)
                    return redirect("backoffice:opportunity", opportunity_id=opportunity.pk)
                return redirect("backoffice:customer", customer_id=customer.pk)
            except ValidationFailed as exc:
                form.add_domain_errors(exc)
    else:
        initial = {f"address_{name}": getattr(customer.address, name) for name in ADDRESS_FIELDS}
        form = SupplyPointForm(initial={"commodity": "electricity", **initial})
    return render(
        request, "backoffice/form.html", {"form": form, "title": _("New supply point"), "customer": customer}
    )


class DictionaryEntryForm(DomainErrorsMixin, forms.Form):
    dictionary = forms.SlugField(label=gettext_lazy("Dictionary"), initial="contact_role")
    code = forms.SlugField(label=gettext_lazy("Code"))
    label_pl = forms.CharField(label=gettext_lazy("Label (Polish)"))
    label_en = forms.CharField(label=gettext_lazy("Label (English)"))


@staff_page(MANAGE_DICTIONARIES)
def dictionaries(request: HttpRequest) -> HttpResponse:
    form = DictionaryEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dictionary_entry_add(company=request.company, **form.cleaned_data)
            return redirect("backoffice:dictionaries")
        except ValidationFailed as exc:
            form.add_domain_errors(exc)
    entries = (
        dictionary_entries(
            company=request.company, dictionary=request.GET.get("dictionary") or "", active_only=False
        )
        if request.GET.get("dictionary")
        else DictionaryEntry.objects.filter(company=request.company)
    )
    return render(request, "backoffice/dictionaries.html", {"form": form, "entries": entries})


@staff_page(MANAGE_CONTRACTS)
def contract_form(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(request, customer_id)
    form = ContractForm(
        request.POST or None, customer=customer, initial={"kind": "comprehensive", "billing_cycle_months": 2}
    )
    if request.method == "POST" and form.is_valid():
        try:
            contract_create(
                company=request.company, data=form.contract_data(), actor=request.user, now=system_clock.now()
            )
            return redirect("backoffice:customer", customer_id=customer.pk)
        except ValidationFailed as exc:
            form.add_domain_errors(exc)
    return render(
        request, "backoffice/form.html", {"form": form, "title": _("New contract"), "customer": customer}
    )


@staff_page(MANAGE_CONTRACTS)
@require_POST
def contract_status(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = contract_of_company(company=request.company, contract_id=contract_id)
    if contract is None:
        raise Http404
    try:
        contract_change_status(
            contract=contract,
            status=request.POST.get("status", ""),
            on_date=system_clock.today(),
            actor=request.user,
            now=system_clock.now(),
        )
        transaction.on_commit(dispatch_outbox.delay)  # e.g. a contract signed on paper opens its switch cases
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    return redirect("backoffice:customer", customer_id=contract.customer_id)


@staff_page(CHANGE_MASTER_DATA)
def meter_mount(request: HttpRequest, supply_point_id: int) -> HttpResponse:
    point = supply_point_of_company(company=request.company, supply_point_id=supply_point_id)
    if point is None:
        raise Http404
    form = MeterMountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meter_mount_new(
                supply_point=point, actor=request.user, now=system_clock.now(), **form.cleaned_data
            )
            return redirect("backoffice:customer", customer_id=point.customer_id)
        except ValidationFailed as exc:
            form.add_domain_errors(exc)
    title = _("New meter at %(code)s") % {"code": point.code}
    return render(request, "backoffice/form.html", {"form": form, "title": title, "customer": point.customer})


@staff_page(VIEW_MASTER_DATA)
def tariffs(request: HttpRequest) -> HttpResponse:
    can_confirm = MANAGE_CATALOG in request.permissions
    if request.method == "POST":
        if not can_confirm:
            raise PermissionDenied
        kind = request.POST.get("kind")
        source = distribution_tariffs_listed() if kind == "tariff" else national_rates_listed()
        rows = source.filter(pk__in=request.POST.getlist("ids"))
        count = reference_data_confirm(rows=rows, user=request.user, now=system_clock.now())
        messages.success(request, _("Confirmed: %(count)s.") % {"count": count})
        return redirect("backoffice:tariffs")
    return render(
        request,
        "backoffice/tariffs.html",
        {
            "tariffs": distribution_tariffs_listed().order_by(
                "dso__name", "tariff_group__code", "-valid_from"
            ),
            "rates": national_rates_listed(),
            "can_confirm": can_confirm,
        },
    )


@staff_page(CHANGE_MASTER_DATA)
def contact_form(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(request, customer_id)
    language = translation.get_language() or "pl"
    roles = [
        (e.code, e.label(language))
        for e in dictionary_entries(company=request.company, dictionary="contact_role")
    ]
    form = ContactForm(request.POST or None, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            contact_add(
                customer=customer, data=form.contact_data(), actor=request.user, now=system_clock.now()
            )
            return redirect("backoffice:customer", customer_id=customer.pk)
        except ValidationFailed as exc:
            form.add_domain_errors(exc)
    return render(
        request,
        "backoffice/form.html",
        {"form": form, "title": _("New contact person"), "customer": customer},
    )


@staff_page(CHANGE_MASTER_DATA)
@require_POST
def consent_change(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(request, customer_id)
    kind = request.POST.get("kind", "")
    try:
        if request.POST.get("action") == "withdraw":
            consent_withdraw(customer=customer, kind=kind, actor=request.user, now=system_clock.now())
        else:
            consent_grant(
                customer=customer,
                kind=kind,
                source=_("back office"),
                actor=request.user,
                now=system_clock.now(),
            )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    return redirect("backoffice:customer", customer_id=customer.pk)
