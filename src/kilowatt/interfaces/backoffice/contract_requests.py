"""Back office pages of contract requests: the queue, a request with its comment thread and the actions of
each side, a request made for a draft contract, a tender's supply points uploaded into a draft contract,
and the files for the DSOs."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.core.permissions import MANAGE_CONTRACTS, ROLE_PERMISSIONS, VERIFY_CONTRACTS
from kilowatt.interfaces.backoffice.views import messages_from, staff_page
from kilowatt.network.models import Dso
from kilowatt.sales.dso_export import dso_export_file
from kilowatt.sales.mass_requests import COLUMNS, REQUIRED_COLUMNS, contract_points_import
from kilowatt.sales.models import Contract, ContractRequest, RequestKind, RequestStatus
from kilowatt.sales.queries import contract_of_company
from kilowatt.sales.requests import (
    contract_request_approve,
    contract_request_create,
    contract_request_missing,
    contract_request_open_find,
    contract_request_reject,
    contract_request_return,
    contract_request_submit,
    contract_request_take,
    contract_requests_of_company,
    request_comment_add,
    request_notifications_read,
    request_notifications_unread_by_request,
)

MAX_UPLOAD = 20 * 1024 * 1024
VERIFIER_ACTIONS = {"take", "return", "approve", "reject"}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _contract(request: HttpRequest, contract_id: int) -> Contract:
    contract = contract_of_company(company=request.company, contract_id=contract_id)
    if contract is None:
        raise Http404
    return contract


def _request(request: HttpRequest, request_id: int) -> ContractRequest:
    found = (
        ContractRequest.objects.filter(company=request.company, pk=request_id)
        .select_related(
            "contract__customer", "contract__product", "contract__price_list", "submitted_by", "responsible"
        )
        .first()
    )
    if found is None:
        raise Http404
    return found


def _verifiers(company):
    roles = [role for role, granted in ROLE_PERMISSIONS.items() if VERIFY_CONTRACTS in granted]
    users = get_user_model().objects.filter(memberships__company=company, memberships__role__in=roles)
    return users.distinct().order_by("username")


@staff_page(MANAGE_CONTRACTS)
def request_queue(request: HttpRequest) -> HttpResponse:
    verifier = VERIFY_CONTRACTS in request.permissions
    status = request.GET.get("status", "")
    status = status if status in RequestStatus.values else ""
    mine = request.GET.get("mine") == "1" or not verifier  # a salesperson sees their own requests
    requests = contract_requests_of_company(
        company=request.company, status=status, mine_for=request.user if mine else None
    )[:200]
    unread = request_notifications_unread_by_request(company=request.company, user=request.user)
    rows = [(item, unread.get(item.pk, 0)) for item in requests]
    return render(
        request,
        "backoffice/requests/queue.html",
        {
            "rows": rows,
            "statuses": RequestStatus.choices,
            "status": status,
            "mine": mine,
            "verifier": verifier,
            "unread_total": sum(unread.values()),
        },
    )


def _allowed_actions(request: HttpRequest, item: ContractRequest) -> set[str]:
    user, status = request.user, item.status
    allowed = {"comment"}
    if status in (RequestStatus.DRAFT, RequestStatus.RETURNED):
        allowed.add("submit")
    if VERIFY_CONTRACTS in request.permissions and user.pk != item.submitted_by_id:
        if status in (RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW):
            allowed.add("take")
        if status == RequestStatus.IN_REVIEW and user.pk == item.responsible_id:
            allowed |= {"return", "approve", "reject"}
    return allowed


@staff_page(MANAGE_CONTRACTS)
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    item = _request(request, request_id)
    contract = item.contract
    request_notifications_read(user=request.user, request=item, now=system_clock.now())
    open_statuses = (
        RequestStatus.DRAFT,
        RequestStatus.RETURNED,
        RequestStatus.SUBMITTED,
        RequestStatus.IN_REVIEW,
    )
    missing = (
        contract_request_missing(contract=contract, kind=item.kind) if item.status in open_statuses else []
    )
    return render(
        request,
        "backoffice/requests/detail.html",
        {
            "item": item,
            "contract": contract,
            "points": contract.supply_point_links.select_related(
                "supply_point__dso", "supply_point__tariff_group"
            ),
            "signers": contract.signers.all(),
            "missing": missing,
            "comments": item.comments.select_related("author"),
            "actions": _allowed_actions(request, item),
            "verifiers": _verifiers(request.company) if VERIFY_CONTRACTS in request.permissions else [],
        },
    )


def _act(request: HttpRequest, item: ContractRequest, action: str) -> None:
    post, user, now = request.POST, request.user, system_clock.now()
    if action == "submit":
        contract_request_submit(request=item, actor=user, now=now)
    elif action == "take":
        responsible = _verifiers(request.company).filter(pk=post.get("responsible") or user.pk).first()
        if responsible is None:
            raise ValidationFailed.single("responsible", _("Choose the responsible person from the list."))
        contract_request_take(request=item, actor=user, responsible=responsible, now=now)
    elif action == "return":
        contract_request_return(request=item, actor=user, comment=post.get("text", ""), now=now)
    elif action == "approve":
        contract_request_approve(request=item, actor=user, comment=post.get("text", ""), now=now)
    elif action == "reject":
        contract_request_reject(request=item, actor=user, reason=post.get("text", ""), now=now)
    else:
        request_comment_add(request=item, author=user, text=post.get("text", ""), now=now)


@staff_page(MANAGE_CONTRACTS)
@require_POST
def request_action(request: HttpRequest, request_id: int) -> HttpResponse:
    item = _request(request, request_id)
    action = request.POST.get("action", "")
    if action not in {"submit", "comment", *VERIFIER_ACTIONS}:
        return HttpResponse(status=400)
    if action in VERIFIER_ACTIONS and VERIFY_CONTRACTS not in request.permissions:
        raise PermissionDenied
    try:
        _act(request, item, action)
    except DomainError as error:
        messages_from(request, error)
    else:
        messages.success(request, _("Saved."))
    return redirect("backoffice:contract_request", request_id=item.pk)


@staff_page(MANAGE_CONTRACTS)
def contract_request_new(request: HttpRequest, contract_id: int) -> HttpResponse:
    """GET: the draft contract and what its request still lacks; POST: make the request and submit it."""
    contract = _contract(request, contract_id)
    existing = contract_request_open_find(contract=contract, kind=RequestKind.NEW)
    if request.method != "POST":
        return render(
            request,
            "backoffice/requests/contract.html",
            {
                "contract": contract,
                "existing": existing,
                "missing": contract_request_missing(contract=contract, kind=RequestKind.NEW),
            },
        )
    now = system_clock.now()
    try:
        item = existing or contract_request_create(
            contract=contract, kind=RequestKind.NEW, submitted_by=request.user, now=now
        )
    except DomainError as error:
        messages_from(request, error)
        return redirect("backoffice:contract_request_new", contract_id=contract.pk)
    if item.status in (RequestStatus.DRAFT, RequestStatus.RETURNED):
        try:
            contract_request_submit(request=item, actor=request.user, now=now)
        except DomainError as error:
            messages.error(request, _("The request cannot be submitted yet:"))
            messages_from(request, error)
        else:
            messages.success(request, _("The request was submitted to the back office."))
    else:
        messages.info(request, _("The request of this contract is already with the back office."))
    return redirect("backoffice:contract_request", request_id=item.pk)


class PointsUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"))


@staff_page(MANAGE_CONTRACTS)
def contract_points_upload(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = _contract(request, contract_id)
    form = PointsUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_UPLOAD:
                raise ValidationFailed.single("file", _("The file is larger than 20 MB."))
            result = contract_points_import(
                contract=contract,
                content=upload.read(),
                file_name=upload.name,
                actor=request.user,
                now=system_clock.now(),
            )
        except ValidationFailed as failed:
            for error in failed.errors:
                form.add_error("file", error.message)
    return render(
        request,
        "backoffice/requests/points_import.html",
        {
            "contract": contract,
            "form": form,
            "result": result,
            "columns": COLUMNS,
            "required_columns": [c for c in COLUMNS if c in REQUIRED_COLUMNS],
        },
    )


class DsoExportForm(forms.Form):
    dso = forms.ModelChoiceField(label=gettext_lazy("DSO"), queryset=Dso.objects.order_by("name"))
    signed_from = forms.DateField(
        label=gettext_lazy("Signed from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    signed_to = forms.DateField(
        label=gettext_lazy("Signed before (excluded)"), widget=forms.DateInput(attrs={"type": "date"})
    )


@staff_page(VERIFY_CONTRACTS)
def dso_export(request: HttpRequest) -> HttpResponse:
    """The form (GET without data) and the file (GET with a DSO and a period)."""
    form = DsoExportForm(request.GET or None)
    if form.is_bound and form.is_valid():
        try:
            name, content = dso_export_file(company=request.company, **form.cleaned_data)
        except ValidationFailed as failed:
            for error in failed.errors:
                form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            response = HttpResponse(content, content_type=CONTENT_TYPES[name.rsplit(".", 1)[1]])
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    return render(request, "backoffice/requests/dso_export.html", {"form": form})
