"""DocuSeal as provider "docuseal" of the signature requests: starting one, its webhooks, polling.

``DocuSealSignature.start`` sends the contract PDF with one submitter per signer and keeps the
submission id on the request and each submitter's id and signing link on its party. DocuSeal reports
back by webhook (``signature_webhook_receive``: the secret header, and DocuSeal's HMAC signature when
configured, are checked before anything is read) or is asked by ``signature_requests_poll``. Both turn
what DocuSeal says into ``SignatureReport`` s that ``signature_request_report`` applies once per event id.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from kilowatt.core.errors import DomainError
from kilowatt.core.identifiers import InvalidIdentifier
from kilowatt.core.phones import phone_normalise
from kilowatt.sales.docuseal.client import (
    DocuSealApi,
    DocuSealError,
    SignatureArea,
    Submission,
    SubmissionIn,
    SubmitterIn,
    SubmitterState,
    docuseal_client,
    submitter_parse,
    text_of,
)
from kilowatt.sales.models import (
    SignatureEvent,
    SignatureParty,
    SignatureProvider,
    SignatureRequest,
    SignatureStatus,
)
from kilowatt.sales.signatures import signature_request_close, signature_request_complete

log = logging.getLogger(__name__)

HMAC_HEADER = "X-Docuseal-Signature"
HMAC_TOLERANCE = timedelta(minutes=5)


class SignatureWebhookRefused(DomainError):
    """A webhook that does not carry the agreed secret (or signature): nothing is changed."""

    code = "webhook_refused"


class SignatureWebhookInvalid(SignatureWebhookRefused):
    """A webhook with the right secret whose body is not a DocuSeal event."""

    code = "webhook_invalid"


# --- the signature backend ------------------------------------------------------------------------------


def _language(request: SignatureRequest) -> str:
    language = request.contract.customer.language
    return language if language in ("pl", "en") else "pl"


def _phone(value: str) -> str:
    try:
        return phone_normalise(value)
    except InvalidIdentifier:
        return ""


def signature_areas(*, pdf: bytes, roles: list[str]) -> tuple[SignatureArea, ...]:
    """One signature box per role at the foot of the last page, three to a row, above the page footer."""
    try:
        pages = PdfReader(BytesIO(pdf)).pages
        last = pages[-1]
    except (PyPdfError, IndexError, ValueError) as error:
        message = _("The contract document is not a readable PDF: %(error)s")
        raise DocuSealError(message % {"error": error}) from None
    width, height = float(last.mediabox.width), float(last.mediabox.height)
    margin, gap, box_h, per_row = 56.0, 14.0, 42.0, 3
    box_w = (width - 2 * margin - (per_row - 1) * gap) / per_row
    rows = (len(roles) + per_row - 1) // per_row
    areas = []
    for index, role in enumerate(roles):
        row, column = divmod(index, per_row)
        top = height - margin - (rows - row) * (box_h + gap)
        left = margin + column * (box_w + gap)
        name = _("Signature of %(role)s") % {"role": role}
        areas.append(SignatureArea(role=role, page=len(pages), x=round(left, 1), y=round(top, 1),
                                   w=round(box_w, 1), h=box_h, name=name))  # fmt: skip
    return tuple(areas)


def _submitter_in(party: SignatureParty, role: str) -> SubmitterIn:
    signer = party.signer
    phone = _phone(signer.phone)
    return SubmitterIn(
        role=role,
        name=signer.name,
        email=signer.email,
        phone=phone,
        external_id=str(party.pk),
        send_email=bool(signer.email) and (party.channel == "email" or not phone),
        send_sms=party.channel == "sms" and bool(phone),
    )


def _submission_in(request: SignatureRequest, parties: list[SignatureParty]) -> SubmissionIn:
    document = request.document
    pdf = bytes(document.content)
    number = request.contract.number
    with translation.override(_language(request)):
        roles = [_("Signer %(number)s") % {"number": n} for n in range(1, len(parties) + 1)]
        subject = _("%(company)s: contract %(number)s to sign") % {
            "company": request.company.name,
            "number": number,
        }
        body = _(
            "Please read and sign contract %(number)s with %(company)s: {{submitter.link}}\n\n"
            "The document is the one you were shown; the signed copy with its audit log is sent to you "
            "when every signer has signed."
        ) % {"number": number, "company": request.company.name}
        name = _("Contract %(number)s") % {"number": number}
        areas = signature_areas(pdf=pdf, roles=roles)
    return SubmissionIn(
        name=name,
        document_name=document.file_name,
        pdf=pdf,
        submitters=tuple(_submitter_in(party, role) for party, role in zip(parties, roles, strict=True)),
        areas=areas,
        expire_at=request.expires_at,
        message_subject=subject,
        message_body=body,
    )


class DocuSealSignature:
    """Provider "docuseal": the contract PDF goes to DocuSeal, which asks each signer to sign."""

    provider = SignatureProvider.DOCUSEAL

    def __init__(self, client: DocuSealApi | None = None) -> None:
        self.client = client if client is not None else docuseal_client()

    def start(self, *, request: SignatureRequest, parties: list[SignatureParty], now: datetime) -> None:
        """Create the submission; keep its id on the request and each submitter's id and link on its
        party. Raises DocuSealError (the request is then not created)."""
        submission = self.client.submission_create(submission=_submission_in(request, parties))
        request.external_id = submission.id
        request.save(update_fields=["external_id"])
        by_party = {state.external_id: state for state in submission.submitters}
        in_order = len(submission.submitters) == len(parties)
        for index, party in enumerate(parties):
            state = by_party.get(str(party.pk)) or (submission.submitters[index] if in_order else None)
            if state is None or not state.id:
                message = _("DocuSeal did not return the signer %(name)s.")
                raise DocuSealError(message % {"name": party.signer.name})
            party.external_id = state.id
            party.signing_url = state.signing_url[:500]
            party.save(update_fields=["external_id", "signing_url"])

    def cancel(self, *, request: SignatureRequest) -> None:
        """Archive the submission of a request that was cancelled, so its links stop working."""
        if request.external_id:
            self.client.submission_archive(submission_id=request.external_id)


# --- webhooks --------------------------------------------------------------------------------------------


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header's value whatever its case (Django's request.headers is case-insensitive; a dict is not)."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), "")


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))


def _hmac_sign(secret: str, body: bytes, timestamp: int) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def webhook_headers(*, body: bytes, now: datetime) -> dict[str, str]:
    """The headers DocuSeal sends with ``body`` under our settings: the secret header and, when
    DOCUSEAL_WEBHOOK_HMAC_SECRET is set, ``X-Docuseal-Signature`` (used by the fake and by tests)."""
    headers = {"Content-Type": "application/json", "User-Agent": "DocuSeal.com Webhook"}
    secret = getattr(settings, "DOCUSEAL_WEBHOOK_SECRET", "")
    if secret:
        headers[settings.DOCUSEAL_WEBHOOK_HEADER] = secret
    hmac_secret = getattr(settings, "DOCUSEAL_WEBHOOK_HMAC_SECRET", "")
    if hmac_secret:
        timestamp = int(now.timestamp())
        headers[HMAC_HEADER] = f"{timestamp}.{_hmac_sign(hmac_secret, body, timestamp)}"
    return headers


def _hmac_check(*, body: bytes, given: str, secret: str, now: datetime) -> None:
    stamp, _dot, signature = given.partition(".")
    if not stamp.isdigit() or not signature:
        message = _("The webhook has no valid %(header)s header.")
        raise SignatureWebhookRefused(message % {"header": HMAC_HEADER}, code="webhook_signature_missing")
    if abs(now.timestamp() - int(stamp)) > HMAC_TOLERANCE.total_seconds():
        message = _("The webhook's %(header)s is too old or in the future: check this server's clock.")
        raise SignatureWebhookRefused(message % {"header": HMAC_HEADER}, code="webhook_signature_stale")
    if not _same(signature, _hmac_sign(secret, body, int(stamp))):
        message = _("The webhook's %(header)s does not match DOCUSEAL_WEBHOOK_HMAC_SECRET.")
        raise SignatureWebhookRefused(message % {"header": HMAC_HEADER}, code="webhook_signature_wrong")


def webhook_verify(*, body: bytes, headers: Mapping[str, str], now: datetime) -> dict[str, Any]:
    """The event of a webhook whose secret header (and HMAC signature, when configured) is right.
    Raises SignatureWebhookRefused (no or wrong secret), SignatureWebhookInvalid (not an event)."""
    secret = getattr(settings, "DOCUSEAL_WEBHOOK_SECRET", "")
    hmac_secret = getattr(settings, "DOCUSEAL_WEBHOOK_HMAC_SECRET", "")
    if not secret and not hmac_secret:
        message = _("DocuSeal webhooks are not accepted: DOCUSEAL_WEBHOOK_SECRET is not set.")
        raise SignatureWebhookRefused(message, code="webhook_not_configured")
    if secret:
        name = settings.DOCUSEAL_WEBHOOK_HEADER
        given = _header(headers, name)
        if not given:
            message = _("The webhook has no %(header)s header.")
            raise SignatureWebhookRefused(message % {"header": name}, code="webhook_secret_missing")
        if not _same(given, secret):
            message = _("The webhook's %(header)s header does not match DOCUSEAL_WEBHOOK_SECRET.")
            raise SignatureWebhookRefused(message % {"header": name}, code="webhook_secret_wrong")
    if hmac_secret:
        _hmac_check(body=body, given=_header(headers, HMAC_HEADER), secret=hmac_secret, now=now)
    try:
        event = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SignatureWebhookInvalid(_("The webhook body is not JSON.")) from None
    if not isinstance(event, dict) or not isinstance(event.get("event_type"), str):
        raise SignatureWebhookInvalid(_("The webhook body has no event_type."))
    if not isinstance(event.get("data"), dict):
        raise SignatureWebhookInvalid(_("The webhook body has no data object."))
    return event


# --- reports: what DocuSeal says happened, from a webhook or from polling -------------------------------


@dataclass(frozen=True)
class SignatureReport:
    """One thing DocuSeal reports about a submission, kept once per ``event_id``."""

    kind: str  # form.completed, form.declined, submission.completed, submission.expired, or kept only
    submission_id: str
    event_id: str
    submitter: SubmitterState | None = None
    submission_status: str = ""  # the submission's status as the report gives it
    submission: Submission | None = None  # the whole submission, when polling read it
    summary: dict[str, Any] = field(default_factory=dict)  # what is kept in SignatureEvent.payload


def _summary(kind: str, submission_id: str, submitter: SubmitterState | None, status: str, at: str) -> dict:
    summary: dict[str, Any] = {"event_type": kind, "submission_id": submission_id, "status": status}
    if at:
        summary["timestamp"] = at
    if submitter is not None:
        summary["submitter"] = {
            "id": submitter.id,
            "external_id": submitter.external_id,
            "status": submitter.status,
            "completed_at": submitter.completed_at.isoformat() if submitter.completed_at else None,
            "ip": submitter.ip,
            "ua": submitter.user_agent[:300],
            "decline_reason": submitter.decline_reason[:500],
        }
    return summary


def webhook_report(event: Mapping[str, Any]) -> SignatureReport:
    """The report of a verified webhook event. Raises SignatureWebhookInvalid."""
    kind, data = event["event_type"], event["data"]
    at = text_of(event.get("timestamp"))
    submitter = None
    if kind.startswith("form."):
        submitter = submitter_parse(data)
        nested = data.get("submission") if isinstance(data.get("submission"), dict) else {}
        submission_id = text_of(data.get("submission_id") or nested.get("id"))
        status = text_of(nested.get("status"))
    else:
        submission_id, status = text_of(data.get("id")), text_of(data.get("status"))
    if not submission_id:
        raise SignatureWebhookInvalid(_("The webhook does not name a submission."))
    event_id = ":".join([kind, submission_id, submitter.id if submitter else "", at])[:200]
    return SignatureReport(
        kind=kind,
        submission_id=submission_id,
        event_id=event_id,
        submitter=submitter,
        submission_status=status,
        summary=_summary(kind, submission_id, submitter, status, at),
    )


def submission_reports(submission: Submission) -> list[SignatureReport]:
    """What polling a submission tells: each signer who signed or declined, then how it ended."""
    reports = []
    for state in submission.submitters:
        kind = {"completed": "form.completed", "declined": "form.declined"}.get(state.status)
        if kind:
            at = state.completed_at.isoformat() if state.completed_at else ""
            reports.append(SignatureReport(
                kind=kind, submission_id=submission.id, event_id=f"poll:{kind}:{submission.id}:{state.id}",
                submitter=state, submission_status=submission.status,
                summary=_summary(kind, submission.id, state, submission.status, at),
            ))  # fmt: skip
    kind = {"completed": "submission.completed", "expired": "submission.expired"}.get(submission.status)
    if kind:
        reports.append(SignatureReport(
            kind=kind, submission_id=submission.id, event_id=f"poll:{kind}:{submission.id}",
            submission_status=submission.status, submission=submission,
            summary=_summary(kind, submission.id, None, submission.status, ""),
        ))  # fmt: skip
    return reports


# --- applying reports ------------------------------------------------------------------------------------


def _ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _party_signed(request: SignatureRequest, state: SubmitterState, now: datetime) -> None:
    party = request.parties.filter(external_id=state.id).first() if state.id else None
    if party is None and state.external_id.isdigit():
        party = request.parties.filter(pk=int(state.external_id)).first()
    if party is None or party.signed_at is not None:
        return
    party.signed_at = state.completed_at or now
    party.ip_address = _ip(state.ip)
    party.user_agent = state.user_agent[:300]
    party.save(update_fields=["signed_at", "ip_address", "user_agent"])


def _pdfs_joined(parts: list[bytes]) -> bytes:
    writer = PdfWriter()
    try:
        for part in parts:
            writer.append(PdfReader(BytesIO(part)))
    except (PyPdfError, ValueError) as error:
        message = _("The documents downloaded from DocuSeal are not readable PDFs: %(error)s")
        raise DocuSealError(message % {"error": error}) from None
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def signed_pdf_download(*, client: DocuSealApi, submission: Submission) -> bytes:
    """The signed document of a completed submission: DocuSeal's combined document (the documents and
    its audit log) when the account makes one, else the documents followed by the audit log."""
    if submission.combined_document_url:
        return client.document_download(url=submission.combined_document_url)
    urls = list(submission.document_urls) + ([submission.audit_log_url] if submission.audit_log_url else [])
    if not submission.document_urls:
        message = _("DocuSeal reports submission %(id)s completed but gives no signed document.")
        raise DocuSealError(message % {"id": submission.id})
    parts = [client.document_download(url=url) for url in urls]
    return parts[0] if len(parts) == 1 else _pdfs_joined(parts)


def _completed(
    request: SignatureRequest, report: SignatureReport, client: DocuSealApi, now: datetime
) -> None:
    submission = report.submission or client.submission_get(submission_id=request.external_id)
    if submission.status != "completed":
        log.warning("DocuSeal submission %s reported completed but is %s", submission.id, submission.status)
        return
    for state in submission.submitters:
        _party_signed(request, state, now)
    pdf = signed_pdf_download(client=client, submission=submission)
    signature_request_complete(request=request, now=now, signed_pdf=pdf)


def _report_apply(
    request: SignatureRequest, report: SignatureReport, client: DocuSealApi | None, now: datetime
) -> None:
    if report.kind == "form.declined":
        signature_request_close(request=request, status=SignatureStatus.DECLINED, now=now)
    elif report.kind == "submission.expired":
        signature_request_close(request=request, status=SignatureStatus.EXPIRED, now=now)
    if report.kind == "form.completed" and report.submitter is not None:
        _party_signed(request, report.submitter, now)  # with the address and browser only webhooks give
    if report.kind == "submission.completed" or (
        report.kind == "form.completed" and report.submission_status == "completed"
    ):
        _completed(request, report, client if client is not None else docuseal_client(), now)


def signature_request_report(
    *, report: SignatureReport, now: datetime, client: DocuSealApi | None = None
) -> SignatureRequest | None:
    """Apply what DocuSeal reports to our request of that submission, once per event id: a signer
    signed (the moment, address and browser are kept), everyone signed (the signed PDF is downloaded and
    the contract signed), a signer declined, or the submission expired. A report already received, or
    about a request no longer waiting, changes nothing. None when the submission is not ours.
    Raises DocuSealError (nothing is kept, so a webhook is delivered again)."""
    with transaction.atomic():
        request = (
            SignatureRequest.objects.select_for_update(of=("self",))
            .select_related("contract", "company")
            .filter(provider=SignatureProvider.DOCUSEAL, external_id=report.submission_id)
            .first()
        )
        if request is None:
            return None
        if request.events.filter(event_id=report.event_id).exists():
            return request
        SignatureEvent.objects.create(
            request=request, event_id=report.event_id, kind=report.kind[:64], payload=report.summary,
            received_at=now,
        )  # fmt: skip
        if request.status == SignatureStatus.PENDING:
            _report_apply(request, report, client, now)
    request.refresh_from_db()
    return request


def signature_webhook_receive(
    *, body: bytes, headers: Mapping[str, str], now: datetime
) -> SignatureRequest | None:
    """A webhook POSTed by DocuSeal: verified, then applied once (see signature_request_report).
    Raises SignatureWebhookRefused, SignatureWebhookInvalid (nothing changed), DocuSealError."""
    event = webhook_verify(body=body, headers=headers, now=now)
    if not event["event_type"].startswith(("form.", "submission.")):
        return None  # template.* events: nothing of a signature request
    return signature_request_report(report=webhook_report(event), now=now)


@dataclass
class PollReport:
    checked: int = 0
    changed: list[int] = field(default_factory=list)  # requests that are no longer pending
    failed: dict[int, str] = field(default_factory=dict)  # request id: why DocuSeal could not be read


def signature_requests_poll(
    *, now: datetime, limit: int = 100, client: DocuSealApi | None = None
) -> PollReport:
    """Ask DocuSeal about the oldest ``limit`` pending DocuSeal requests and apply what it says (for
    when webhooks are not set up, or one was lost). Running it again changes nothing."""
    client = client if client is not None else docuseal_client()
    result = PollReport()
    pending = (
        SignatureRequest.objects.filter(provider=SignatureProvider.DOCUSEAL, status=SignatureStatus.PENDING)
        .exclude(external_id="")
        .order_by("created_at", "id")[:limit]
    )
    for request in pending:
        result.checked += 1
        try:
            submission = client.submission_get(submission_id=request.external_id)
            for report in submission_reports(submission):
                signature_request_report(report=report, now=now, client=client)
        except DocuSealError as error:
            log.warning("signature request %s: DocuSeal not read: %s", request.pk, error.message)
            result.failed[request.pk] = error.message
            continue
        request.refresh_from_db(fields=["status"])
        if request.status != SignatureStatus.PENDING:
            result.changed.append(request.pk)
    return result
