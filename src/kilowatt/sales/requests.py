"""Contract requests: a salesperson hands a contract (or an annex, a cession…) to the back office, which
checks it before it counts.

Life cycle (``REQUEST_TRANSITIONS``): draft → submitted → in review (taken by a responsible person with
*contracts.verify*) → returned to the salesperson with a comment (who completes it and submits again),
approved, or rejected with a reason. A request cannot be submitted while a field its kind requires is
missing: the built-in minimum of the kind (``BUILT_IN_REQUIRED``) plus the company's ``RequiredField``
rows, each a code of ``REQUEST_FIELDS``. Every change and every comment notifies the other party (a
``RequestNotification`` and an e-mail sent after commit; a request nobody has taken yet waits in the back
office queue), is audited and recorded as an event ``sales.contract-request.<action>-v1``.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from kilowatt.core.errors import PermissionDenied, ValidationFailed
from kilowatt.core.messaging import EmailNotSent, email_send
from kilowatt.core.models import AuditEntry, Company
from kilowatt.core.operations import audit_record, event_record
from kilowatt.core.permissions import MANAGE_CONTRACTS, VERIFY_CONTRACTS
from kilowatt.core.queries import permissions_in_company
from kilowatt.sales.models import (
    Contract,
    ContractRequest,
    ContractStatus,
    RequestComment,
    RequestKind,
    RequestNotification,
    RequestStatus,
)
from kilowatt.sales.request_fields import (
    BUILT_IN_REQUIRED,
    REQUEST_FIELDS,
    RequestField,
    contract_request_missing,
    request_fields_required,
    required_field_add,
)

__all__ = [
    "BUILT_IN_REQUIRED",
    "REQUEST_FIELDS",
    "REQUEST_TRANSITIONS",
    "RequestField",
    "contract_request_approve",
    "contract_request_create",
    "contract_request_missing",
    "contract_request_open_find",
    "contract_request_reject",
    "contract_request_return",
    "contract_request_submit",
    "contract_request_take",
    "contract_requests_of_company",
    "request_comment_add",
    "request_fields_required",
    "request_notifications_read",
    "request_notifications_unread_by_request",
    "request_notifications_unread_counts",
    "required_field_add",
]

log = logging.getLogger(__name__)

MAX_COMMENT = 4000


# Which status may follow which; in review → in review is a hand-over to another responsible person.
REQUEST_TRANSITIONS: dict[str, set[str]] = {
    RequestStatus.DRAFT: {RequestStatus.SUBMITTED},
    RequestStatus.SUBMITTED: {RequestStatus.IN_REVIEW},
    RequestStatus.IN_REVIEW: {
        RequestStatus.IN_REVIEW,
        RequestStatus.RETURNED,
        RequestStatus.APPROVED,
        RequestStatus.REJECTED,
    },
    RequestStatus.RETURNED: {RequestStatus.SUBMITTED},
    RequestStatus.APPROVED: set(),
    RequestStatus.REJECTED: set(),
}
OPEN_STATUSES = (
    RequestStatus.DRAFT,
    RequestStatus.SUBMITTED,
    RequestStatus.IN_REVIEW,
    RequestStatus.RETURNED,
)


# --- permissions, notifications --------------------------------------------------------------------


def _require(user: AbstractBaseUser, company: Company, permission: str) -> None:
    if not user.is_authenticated or permission not in permissions_in_company(user=user, company=company):
        raise PermissionDenied(
            _("You may not do this in %(company)s.") % {"company": company.name}, field="actor"
        )


def _name(user: AbstractBaseUser | None) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def _email_send(to: str, subject: str, body: str) -> None:
    try:
        email_send(to=to, subject=subject, body=body)
    except EmailNotSent as error:
        log.warning("contract request notification to %s not sent: %s", to, error.message)
    except Exception:  # noqa: BLE001 - a notice that could not be mailed never undoes the change
        log.exception("contract request notification to %s not sent", to)


def _notify(request: ContractRequest, actor: AbstractBaseUser | None, text: str, now: datetime) -> None:
    """Tell the other party: the salesperson and the responsible person, except whoever acted."""
    recipients = {request.submitted_by_id: request.submitted_by}
    if request.responsible_id:
        recipients[request.responsible_id] = request.responsible
    recipients.pop(getattr(actor, "pk", None), None)
    subject = _("Contract request %(number)s: %(status)s") % {
        "number": request.contract.number,
        "status": request.get_status_display(),
    }
    for user in recipients.values():
        RequestNotification.objects.create(request=request, user=user, text=text[:300], created_at=now)
        if user.email:
            body = f"{text}\n\n" + _("Request no. %(id)s in the back office.") % {"id": request.pk}
            address = user.email
            transaction.on_commit(lambda a=address, b=body: _email_send(a, subject, b))


def _snapshot(request: ContractRequest) -> dict:
    return {"status": request.status, "responsible_id": request.responsible_id}


def _comment(request: ContractRequest, author: AbstractBaseUser, text: str, now: datetime) -> RequestComment:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed.single("text", _("Write the comment."), code="required")
    if len(text) > MAX_COMMENT:
        raise ValidationFailed.single(
            "text", _("A comment has at most %(count)s characters.") % {"count": MAX_COMMENT}
        )
    return RequestComment.objects.create(request=request, author=author, text=text, created_at=now)


def _locked(request: ContractRequest) -> ContractRequest:
    return (
        ContractRequest.objects.select_for_update(of=("self",))
        .select_related("company", "contract", "submitted_by", "responsible")
        .get(pk=request.pk)
    )


def _transition_check(request: ContractRequest, status: str) -> None:
    if status not in REQUEST_TRANSITIONS[request.status]:
        raise ValidationFailed.single(
            "status",
            _("A request cannot go from “%(current)s” to “%(new)s”.")
            % {"current": request.get_status_display(), "new": RequestStatus(status).label},
            code="invalid_transition",
        )


def _move(
    request: ContractRequest,
    status: str,
    *,
    actor: AbstractBaseUser,
    now: datetime,
    action: str,
    text: str,
) -> ContractRequest:
    """Change the status along ``REQUEST_TRANSITIONS``; audit, event and notify. The caller locked it."""
    _transition_check(request, status)
    before = _snapshot(request)
    request.status, request.updated_at = status, now
    if status == RequestStatus.SUBMITTED:
        request.submitted_at = now
    if status in (RequestStatus.APPROVED, RequestStatus.REJECTED):
        request.decided_at = now
    request.save()
    audit_record(
        company=request.company,
        instance=request,
        action=AuditEntry.Action.UPDATED,
        before=before,
        after=_snapshot(request),
        actor=actor,
        at=now,
    )
    event_record(
        company=request.company,
        name=f"sales.contract-request.{action}-v1",
        payload={
            "request_id": request.pk,
            "contract_id": request.contract_id,
            "number": request.contract.number,
            "kind": request.kind,
            "status": status,
            "actor_id": getattr(actor, "pk", None),
            "responsible_id": request.responsible_id,
        },
        occurred_at=now,
    )
    _notify(request, actor, text, now)
    return request


def _values(request: ContractRequest, actor: AbstractBaseUser, **extra: str) -> dict[str, str]:
    return {"user": _name(actor), "number": request.contract.number, **extra}


# --- use cases --------------------------------------------------------------------------------------


def contract_request_open_find(*, contract: Contract, kind: str) -> ContractRequest | None:
    """The contract's request of this kind that is not decided yet, if any."""
    return ContractRequest.objects.filter(contract=contract, kind=kind, status__in=OPEN_STATUSES).first()


@transaction.atomic
def contract_request_create(
    *, contract: Contract, kind: str, submitted_by: AbstractBaseUser, now: datetime
) -> ContractRequest:
    """A draft request of a salesperson (contracts.manage); one open request per contract and kind, and
    a request for a new contract only for a draft contract. Raises ValidationFailed, PermissionDenied."""
    _require(submitted_by, contract.company, MANAGE_CONTRACTS)
    if kind not in RequestKind.values:
        raise ValidationFailed.single("kind", _("Unknown request kind."))
    contract = Contract.objects.select_for_update(of=("self",)).select_related("company").get(pk=contract.pk)
    if kind == RequestKind.NEW and contract.status != ContractStatus.DRAFT:
        raise ValidationFailed.single(
            "contract", _("A request for a new contract is made for a draft contract."), code="not_draft"
        )
    if contract_request_open_find(contract=contract, kind=kind) is not None:
        raise ValidationFailed.single(
            "contract",
            _("Contract %(number)s already has an open %(kind)s request.")
            % {"number": contract.number, "kind": RequestKind(kind).label},
            code="open_request",
        )
    request = ContractRequest.objects.create(
        company=contract.company,
        contract=contract,
        kind=kind,
        submitted_by=submitted_by,
        created_at=now,
        updated_at=now,
    )
    audit_record(
        company=contract.company,
        instance=request,
        action=AuditEntry.Action.CREATED,
        before=None,
        after={"contract": contract.number, "kind": kind, "status": request.status},
        actor=submitted_by,
        at=now,
    )
    event_record(
        company=contract.company,
        name="sales.contract-request.created-v1",
        payload={"request_id": request.pk, "contract_id": contract.pk, "kind": kind},
        occurred_at=now,
    )
    return request


@transaction.atomic
def contract_request_submit(
    *, request: ContractRequest, actor: AbstractBaseUser, now: datetime
) -> ContractRequest:
    """Hand a draft (or a returned request, completed) to the back office.

    Raises ValidationFailed naming every missing field (each error's field is the field's code),
    PermissionDenied."""
    request = _locked(request)
    _require(actor, request.company, MANAGE_CONTRACTS)
    missing = contract_request_missing(contract=request.contract, kind=request.kind)
    if missing:
        raise ValidationFailed(missing)
    if request.responsible_id:
        text = _("%(user)s submitted the request for contract %(number)s again.")
    else:
        text = _("%(user)s submitted the request for contract %(number)s.")
    return _move(
        request,
        RequestStatus.SUBMITTED,
        actor=actor,
        now=now,
        action="submitted",
        text=text % _values(request, actor),
    )


@transaction.atomic
def contract_request_take(
    *,
    request: ContractRequest,
    actor: AbstractBaseUser,
    now: datetime,
    responsible: AbstractBaseUser | None = None,
) -> ContractRequest:
    """Take a submitted request into review (or hand one in review over): ``responsible`` (the actor by
    default) checks it. Both need contracts.verify; the salesperson cannot review their own request."""
    request = _locked(request)
    responsible = responsible or actor
    _require(actor, request.company, VERIFY_CONTRACTS)
    _require(responsible, request.company, VERIFY_CONTRACTS)
    if responsible.pk == request.submitted_by_id:
        raise PermissionDenied(_("The salesperson cannot review their own request."), field="responsible")
    request.responsible = responsible
    values = _values(request, actor, responsible=_name(responsible))
    text = _("%(user)s took the request for contract %(number)s; %(responsible)s is responsible.") % values
    return _move(request, RequestStatus.IN_REVIEW, actor=actor, now=now, action="taken", text=text)


def _deciding(request: ContractRequest, actor: AbstractBaseUser, status: str) -> ContractRequest:
    """The locked request, once the actor may move it to ``status``: a verifier, not the salesperson,
    the responsible person."""
    request = _locked(request)
    _require(actor, request.company, VERIFY_CONTRACTS)
    if actor.pk == request.submitted_by_id:
        raise PermissionDenied(_("The salesperson cannot decide on their own request."), field="actor")
    _transition_check(request, status)
    if actor.pk != request.responsible_id:
        raise PermissionDenied(
            _("%(user)s is responsible for this request; take it over first.")
            % {"user": _name(request.responsible)},
            field="actor",
        )
    return request


@transaction.atomic
def contract_request_return(
    *, request: ContractRequest, actor: AbstractBaseUser, comment: str, now: datetime
) -> ContractRequest:
    """Send the request back to the salesperson with what to complete (the comment is required)."""
    request = _deciding(request, actor, RequestStatus.RETURNED)
    _comment(request, actor, comment, now)
    text = _("%(user)s returned the request for contract %(number)s: %(comment)s") % _values(
        request, actor, comment=comment.strip()
    )
    return _move(request, RequestStatus.RETURNED, actor=actor, now=now, action="returned", text=text)


@transaction.atomic
def contract_request_approve(
    *, request: ContractRequest, actor: AbstractBaseUser, now: datetime, comment: str = ""
) -> ContractRequest:
    """Approve a request in review; the required fields are checked again. Raises ValidationFailed,
    PermissionDenied."""
    request = _deciding(request, actor, RequestStatus.APPROVED)
    missing = contract_request_missing(contract=request.contract, kind=request.kind)
    if missing:
        raise ValidationFailed(missing)
    if comment.strip():
        _comment(request, actor, comment, now)
    text = _("%(user)s approved the request for contract %(number)s.") % _values(request, actor)
    return _move(request, RequestStatus.APPROVED, actor=actor, now=now, action="approved", text=text)


@transaction.atomic
def contract_request_reject(
    *, request: ContractRequest, actor: AbstractBaseUser, reason: str, now: datetime
) -> ContractRequest:
    """Refuse the request for good; the reason is required and kept as a comment."""
    request = _deciding(request, actor, RequestStatus.REJECTED)
    if not (reason or "").strip():
        raise ValidationFailed.single("reason", _("Give the reason of the rejection."), code="required")
    _comment(request, actor, reason, now)
    text = _("%(user)s rejected the request for contract %(number)s: %(reason)s") % _values(
        request, actor, reason=reason.strip()
    )
    return _move(request, RequestStatus.REJECTED, actor=actor, now=now, action="rejected", text=text)


@transaction.atomic
def request_comment_add(
    *, request: ContractRequest, author: AbstractBaseUser, text: str, now: datetime
) -> RequestComment:
    """A message in the request's thread between the salesperson and the back office."""
    request = _locked(request)
    granted = permissions_in_company(user=author, company=request.company) if author.is_authenticated else ()
    if MANAGE_CONTRACTS not in granted and VERIFY_CONTRACTS not in granted:
        raise PermissionDenied(_("You may not comment on this request."), field="author")
    comment = _comment(request, author, text, now)
    audit_record(
        company=request.company,
        instance=comment,
        action=AuditEntry.Action.CREATED,
        before=None,
        after={"request_id": request.pk, "text": comment.text},
        actor=author,
        at=now,
    )
    event_record(
        company=request.company,
        name="sales.contract-request.commented-v1",
        payload={"request_id": request.pk, "comment_id": comment.pk, "author_id": author.pk},
        occurred_at=now,
    )
    notice = _("%(user)s commented on the request for contract %(number)s: %(text)s")
    _notify(request, author, notice % _values(request, author, text=comment.text), now)
    return comment


def request_notifications_read(*, user: AbstractBaseUser, request: ContractRequest, now: datetime) -> int:
    """Mark the user's notifications of this request read; return how many were unread."""
    return RequestNotification.objects.filter(user=user, request=request, read_at__isnull=True).update(
        read_at=now
    )


# --- reads ------------------------------------------------------------------------------------------


def contract_requests_of_company(
    *, company: Company, status: str = "", mine_for: AbstractBaseUser | None = None
) -> QuerySet[ContractRequest]:
    """The queue: requests of the company, optionally of one status, or only those where the user is the
    salesperson or the responsible person."""
    requests = ContractRequest.objects.filter(company=company).select_related(
        "contract__customer", "submitted_by", "responsible"
    )
    if status:
        requests = requests.filter(status=status)
    if mine_for is not None:
        requests = requests.filter(Q(submitted_by=mine_for) | Q(responsible=mine_for))
    return requests


def request_notifications_unread_counts(*, company: Company) -> dict[int, int]:
    """Unread notifications of the company's requests per user id."""
    rows = (
        RequestNotification.objects.filter(request__company=company, read_at__isnull=True)
        .values("user_id")
        .annotate(unread=Count("id"))
        .order_by()
    )
    return {row["user_id"]: row["unread"] for row in rows}


def request_notifications_unread_by_request(*, company: Company, user: AbstractBaseUser) -> dict[int, int]:
    """The user's unread notifications per request id."""
    rows = (
        RequestNotification.objects.filter(request__company=company, user=user, read_at__isnull=True)
        .values("request_id")
        .annotate(unread=Count("id"))
        .order_by()
    )
    return {row["request_id"]: row["unread"] for row in rows}
