"""Electronic signature of contract documents behind an adapter.

``signature_request_start`` freezes which document is signed (a ``ContractDocument`` and its SHA-256)
and hands it to a provider:

* the built-in simple signature sends each signer a one-time code by SMS or e-mail; the code is
  stored only as a keyed hash, lives ``CODE_MINUTES`` minutes and allows ``MAX_ATTEMPTS`` wrong
  tries; entering it records the moment, the IP address and the browser;
* an external signing service (``sales.docuseal``) is given the PDF and reports back by webhook or
  polling (``signature_request_report``).

When every signer has signed, the signed PDF (the document page for page plus an audit page) is
kept, the contract becomes *signed* and ``sales.contract.signed-v1`` is published.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from kilowatt.core.clock import WARSAW
from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.core.messaging import EmailNotSent, SmsNotSent, email_send, sms_sender
from kilowatt.core.operations import event_record
from kilowatt.documents.agreements import signature_audit_append
from kilowatt.sales.contracting import signers_check
from kilowatt.sales.models import (
    Contract,
    ContractDocument,
    ContractDocumentKind,
    ContractSigner,
    ContractStatus,
    SignatureParty,
    SignatureProvider,
    SignatureRequest,
    SignatureStatus,
)
from kilowatt.sales.operations import contract_change_status
from kilowatt.sales.paperwork import contract_document_issue, document_store, file_name_of

log = logging.getLogger(__name__)

CODE_MINUTES = 15
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(minutes=1)  # a new code resets the attempts: not more often than this
REQUEST_DAYS = 14


class SignatureRefused(DomainError):
    code = "signature_refused"


class SignatureBackend(Protocol):
    provider: str

    def start(self, *, request: SignatureRequest, parties: list[SignatureParty], now: datetime) -> None:
        """Hand the document to the signers (send codes, create the submission)."""

    def cancel(self, *, request: SignatureRequest) -> None:
        """Withdraw a request that was replaced (its codes or links must stop working)."""


@dataclass(frozen=True)
class SignerChannel:
    signer_id: int
    channel: str  # "sms" or "email"


def _code_hash(party_id: int, code: str) -> str:
    key = f"kilowatt-signature:{settings.SECRET_KEY}".encode()
    return hmac.new(key, f"{party_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _language(contract: Contract) -> str:
    return contract.customer.language if contract.customer.language in ("pl", "en") else "pl"


def _code_send(party: SignatureParty, *, now: datetime) -> None:
    code = f"{secrets.randbelow(10**6):06d}"
    party.code_hash = _code_hash(party.pk, code)
    party.code_sent_at = now
    party.attempts = 0
    party.save(update_fields=["code_hash", "code_sent_at", "attempts"])
    request = party.request
    with translation.override(_language(request.contract)):
        text = _(
            "%(company)s: your code to sign contract %(number)s is %(code)s. It is valid for %(minutes)s "
            "minutes. Do not give it to anyone who did not show you the contract. Read and sign: %(link)s"
        ) % {
            "company": request.company.name,
            "number": request.contract.number,
            "code": code,
            "minutes": CODE_MINUTES,
            "link": signing_link(party=party),
        }
        if party.channel == "sms":
            sms_sender().send(to=party.destination, text=text)
        else:
            subject = _("Code to sign contract %(number)s") % {"number": request.contract.number}
            email_send(to=party.destination, subject=subject, body=text)


SIGNING_SALT = "kilowatt.sales.signature-party"


def signing_token(*, party: SignatureParty) -> str:
    """The token of a signer's own signing page (``/sign/<token>/``): signed, so it cannot be guessed."""
    return signing.dumps(party.pk, salt=SIGNING_SALT)


def signing_link(*, party: SignatureParty) -> str:
    return f"{getattr(settings, 'SITE_URL', '').rstrip('/')}/sign/{signing_token(party=party)}/"


def signature_party_by_token(*, token: str) -> SignatureParty | None:
    """The signer a signing-page token names, or None for a token that was not made here. Whether the
    request is still open is checked when the code is entered."""
    try:
        party_id = signing.loads(token, salt=SIGNING_SALT)
    except signing.BadSignature:
        return None
    return (
        SignatureParty.objects.filter(pk=party_id)
        .select_related("request__contract__company", "request__document", "signer")
        .first()
    )


class BuiltinSignature:
    """One-time codes sent by the company's own SMS and e-mail channels."""

    provider = SignatureProvider.BUILTIN

    def start(self, *, request: SignatureRequest, parties: list[SignatureParty], now: datetime) -> None:
        for party in parties:
            _code_send(party, now=now)

    def cancel(self, *, request: SignatureRequest) -> None:
        """Nothing to withdraw: a cancelled request's codes are refused by its status."""


_backends: dict[str, Callable[[], SignatureBackend]] = {SignatureProvider.BUILTIN: BuiltinSignature}


def signature_backend_register(provider: str, factory: Callable[[], SignatureBackend]) -> None:
    _backends[provider] = factory


def signature_backend(provider: str) -> SignatureBackend:
    try:
        return _backends[provider]()
    except KeyError:
        raise SignatureRefused(
            _("Unknown signature provider %(provider)s.") % {"provider": provider}
        ) from None


def _destination(signer: ContractSigner, channel: str) -> str:
    return signer.phone if channel == "sms" else signer.email


def _parties_clean(
    signers: list[ContractSigner], channels: list[SignerChannel]
) -> list[tuple[ContractSigner, str]]:
    chosen = {c.signer_id: c.channel for c in channels}
    errors = []
    out = []
    for signer in signers:
        channel = chosen.get(signer.pk) or ("sms" if signer.phone else "email")
        if channel not in ("sms", "email"):
            channel = "email"
        if not _destination(signer, channel):
            errors.append(
                _("%(name)s has no %(channel)s to send the code to.")
                % {
                    "name": signer.name,
                    "channel": _("phone number") if channel == "sms" else _("e-mail address"),
                }
            )
        out.append((signer, channel))
    if errors:
        raise ValidationFailed.single("signers", " ".join(errors), code="signer_unreachable")
    return out


def _pending_cancel(*, contract: Contract, now: datetime) -> list[SignatureRequest]:
    """Cancel the contract's pending requests here; the caller withdraws them at the provider once the
    new request is out (if that fails, nothing was withdrawn)."""
    cancelled = list(SignatureRequest.objects.filter(contract=contract, status=SignatureStatus.PENDING))
    for pending in cancelled:
        pending.status = SignatureStatus.CANCELLED
        pending.completed_at = now
        pending.save(update_fields=["status", "completed_at"])
    return cancelled


def _withdraw(requests: list[SignatureRequest]) -> None:
    for pending in requests:
        try:
            signature_backend(pending.provider).cancel(request=pending)
        except DomainError:
            # The request is cancelled here whatever the provider says: its later reports change nothing.
            log.warning("signature request %s: the provider could not withdraw it", pending.pk, exc_info=True)


def _document_current(contract: Contract, now: datetime) -> ContractDocument:
    """The contract's latest print, printed again when the contract changed after it (a tender's points
    imported, terms edited): the customer signs what the contract says now."""
    document = (
        contract.documents.filter(kind=ContractDocumentKind.CONTRACT).order_by("-created_at", "-id").first()
    )
    if document is None or document.created_at < contract.updated_at:
        document = contract_document_issue(
            contract=contract, issued_on=now.astimezone(WARSAW).date(), actor=None, now=now
        )
    return document


def _stale(request: SignatureRequest) -> bool:
    return request.document.created_at < request.contract.updated_at


@transaction.atomic
def signature_request_start(
    *,
    contract: Contract,
    provider: str = SignatureProvider.BUILTIN,
    channels: list[SignerChannel] | None = None,
    now: datetime,
) -> SignatureRequest:
    """Ask the contract's signers to sign its latest printed document. A pending request of the same
    document is cancelled first (its codes stop working). Raises SigningPersonMissing, ValidationFailed."""
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("customer", "company")
        .get(pk=contract.pk)
    )
    if contract.status != ContractStatus.DRAFT:
        raise ValidationFailed.single(
            "status", _("Only a draft contract is sent for signature."), code="not_draft"
        )
    signers = signers_check(contract=contract)
    pairs = _parties_clean(signers, channels or [])
    document = _document_current(contract, now)
    replaced = _pending_cancel(contract=contract, now=now)
    request = SignatureRequest.objects.create(
        company=contract.company,
        contract=contract,
        document=document,
        provider=provider,
        created_at=now,
        expires_at=now + timedelta(days=REQUEST_DAYS),
    )
    parties = [
        SignatureParty.objects.create(
            request=request, signer=signer, channel=channel, destination=_destination(signer, channel)
        )
        for signer, channel in pairs
    ]
    try:
        signature_backend(provider).start(request=request, parties=parties, now=now)
    except (SmsNotSent, EmailNotSent) as error:
        raise SignatureRefused(_("The code could not be sent: %(reason)s") % {"reason": error}) from error
    except DomainError:
        _withdraw([request])  # the provider may have accepted part of it: nothing of it must stay open
        raise
    _withdraw(replaced)
    event_record(
        company=contract.company,
        name="sales.signature.requested-v1",
        payload={"request_id": request.pk, "contract_id": contract.pk, "provider": provider},
        occurred_at=now,
    )
    return request


def _pending_party(party: SignatureParty, now: datetime) -> SignatureParty:
    party = (
        SignatureParty.objects.select_for_update(of=("self",))
        .select_related("request__contract", "request__document", "signer")
        .get(pk=party.pk)
    )
    request = party.request
    if request.status != SignatureStatus.PENDING:
        raise SignatureRefused(
            _("This signature request is %(status)s.") % {"status": request.get_status_display()}
        )
    if request.expires_at <= now:
        raise SignatureRefused(_("This signature request has expired: send a new one."))
    if party.signed_at is not None:
        raise SignatureRefused(_("%(name)s has already signed.") % {"name": party.signer.name})
    if _stale(request):
        raise SignatureRefused(
            _("The contract changed after it was sent for signature: send it for signature again."),
            code="document_changed",
        )
    return party


@transaction.atomic
def signature_code_resend(*, party: SignatureParty, now: datetime) -> None:
    party = _pending_party(party, now)
    if party.request.provider != SignatureProvider.BUILTIN:
        raise SignatureRefused(_("Codes are sent only for the built-in signature."))
    if party.code_sent_at is not None and now - party.code_sent_at < RESEND_AFTER:
        raise SignatureRefused(
            _("A code was sent less than a minute ago: wait for it before asking for another."),
            code="resend_too_soon",
        )
    _code_send(party, now=now)


def signature_code_confirm(
    *, party: SignatureParty, code: str, ip_address: str | None, user_agent: str, now: datetime
) -> SignatureParty:
    """The signer's one-time code: right, the signer has signed (and, if the last, the request is
    complete); wrong, expired or tried too often, SignatureRefused saying which."""
    with transaction.atomic():
        party = _pending_party(party, now)
        refusal = _code_refusal(party, code.strip(), now)
        if refusal is None:
            party.signed_at = now
            party.ip_address = ip_address or None
            party.user_agent = (user_agent or "")[:300]
            party.save(update_fields=["signed_at", "ip_address", "user_agent"])
            if not party.request.parties.filter(signed_at__isnull=True).exists():
                signature_request_complete(request=party.request, now=now)
            return party
        if refusal.code == "wrong_code":
            party.attempts += 1
            party.save(update_fields=["attempts"])
    raise refusal  # outside the block so the attempt counted is kept


def _code_refusal(party: SignatureParty, code: str, now: datetime) -> SignatureRefused | None:
    if party.request.provider != SignatureProvider.BUILTIN or not party.code_hash:
        return SignatureRefused(_("This signer signs at the signing service, not with a code."))
    if party.attempts >= MAX_ATTEMPTS:
        return SignatureRefused(_("Too many wrong codes: send a new code."), code="too_many_attempts")
    assert party.code_sent_at is not None
    if party.code_sent_at + timedelta(minutes=CODE_MINUTES) <= now:
        return SignatureRefused(_("The code has expired: send a new code."), code="code_expired")
    if not hmac.compare_digest(party.code_hash, _code_hash(party.pk, code)):
        left = MAX_ATTEMPTS - party.attempts - 1
        return SignatureRefused(
            _("Wrong code. %(left)s attempt(s) left.") % {"left": left}, code="wrong_code", field="code"
        )
    return None


def _local(moment: datetime | None) -> str:
    return moment.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _audit(request: SignatureRequest, document: ContractDocument, now: datetime) -> dict:
    contract = request.contract
    return {
        "title": _("Contract %(number)s — signed") % {"number": contract.number},
        "author": contract.company.name,
        "file_name": document.file_name,
        "sha256": document.sha256,
        "method": str(SignatureProvider(request.provider).label),
        "created_at": _local(request.created_at),
        "completed_at": _local(now),
        "parties": [
            {
                "name": p.signer.name,
                "channel": "SMS" if p.channel == "sms" else _("e-mail"),
                "destination": _masked(p.destination),
                "code_sent_at": _local(p.code_sent_at),
                "signed_at": _local(p.signed_at),
                "ip_address": p.ip_address or "",
                "user_agent": p.user_agent,
            }
            for p in request.parties.select_related("signer")
        ],
    }


def _masked(destination: str) -> str:
    if "@" in destination:
        name, _at, domain = destination.partition("@")
        return f"{name[:2]}…@{domain}"
    return f"…{destination[-3:]}" if destination else ""


def signature_request_complete(
    *,
    request: SignatureRequest,
    now: datetime,
    signed_pdf: bytes | None = None,
    actor: AbstractBaseUser | None = None,
) -> SignatureRequest:
    """Every signer has signed: keep the signed PDF (the provider's, or the document with our audit
    page), mark the contract signed and publish ``sales.contract.signed-v1``. Runs in the caller's
    transaction with the request locked."""
    request = (
        SignatureRequest.objects.select_for_update(of=("self",))
        .select_related("contract__company", "document")
        .get(pk=request.pk)
    )
    if request.status != SignatureStatus.PENDING:
        return request
    if _stale(request):
        # Signed at the provider, but not what the contract says now: it does not make the contract signed.
        log.warning("signature request %s: the contract changed after it was sent; not signed", request.pk)
        request.status = SignatureStatus.CANCELLED
        request.completed_at = now
        request.save(update_fields=["status", "completed_at"])
        return request
    document = request.document
    contract = request.contract
    language = _language(contract)
    if signed_pdf is None:
        with translation.override(language):
            audit = _audit(request, document, now)
        signed_pdf = signature_audit_append(pdf=bytes(document.content), audit=audit, language=language)
    request.signed_document = document_store(
        contract=contract,
        kind=ContractDocumentKind.SIGNED_CONTRACT,
        file_name=file_name_of(contract.number, "-signed"),
        content=signed_pdf,
        actor=actor,
        now=now,
    )
    request.status = SignatureStatus.SIGNED
    request.completed_at = now
    request.save(update_fields=["signed_document", "status", "completed_at"])
    on_date: date = now.astimezone(WARSAW).date()
    contract_change_status(
        contract=contract, status=ContractStatus.SIGNED, on_date=on_date, actor=actor, now=now
    )
    return request


@transaction.atomic
def signature_request_close(*, request: SignatureRequest, status: str, now: datetime) -> SignatureRequest:
    """A request that ends without a signature: declined by a signer, expired, or cancelled by staff."""
    request = SignatureRequest.objects.select_for_update().get(pk=request.pk)
    if status not in (SignatureStatus.DECLINED, SignatureStatus.EXPIRED, SignatureStatus.CANCELLED):
        raise ValueError(status)
    if request.status == SignatureStatus.PENDING:
        request.status = status
        request.completed_at = now
        request.save(update_fields=["status", "completed_at"])
    return request
