"""The signer's own page of the built-in signature: the link in the one-time-code message opens the
document and a field for the code, on the customer's phone or computer. No login: the signed token in
the link names the signer, and the code proves they received it."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache

from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError
from kilowatt.interfaces.tasks.tasks import dispatch_outbox
from kilowatt.sales.models import SignatureStatus
from kilowatt.sales.signatures import signature_code_confirm, signature_party_by_token


def _party(token: str):
    party = signature_party_by_token(token=token)
    if party is None:
        raise Http404
    return party


@never_cache
def sign_page(request: HttpRequest, token: str) -> HttpResponse:
    party = _party(token)
    contract = party.request.contract
    translation.activate(contract.customer.language if contract.customer.language in ("pl", "en") else "pl")
    error = ""
    if request.method == "POST":
        try:
            party = signature_code_confirm(
                party=party,
                code=request.POST.get("code", ""),
                ip_address=request.META.get("REMOTE_ADDR") or None,
                user_agent=request.headers.get("User-Agent", ""),
                now=system_clock.now(),
            )
            transaction.on_commit(dispatch_outbox.delay)  # a signed contract opens its switch cases
        except DomainError as refused:  # a wrong code, or the contract no longer waiting for signature
            error = refused.message
        party.request.refresh_from_db()
    return render(
        request,
        "signing/sign.html",
        {
            "party": party,
            "contract": contract,
            "token": token,
            "error": error,
            "open": party.request.status == SignatureStatus.PENDING
            and party.request.expires_at > system_clock.now()
            and party.signed_at is None,
        },
    )


@never_cache
def sign_document(request: HttpRequest, token: str) -> HttpResponse:
    party = _party(token)
    request = party.request
    # Only while the request waits: a forwarded or old link does not keep showing the customer's data.
    if request.status != SignatureStatus.PENDING or request.expires_at <= system_clock.now():
        raise Http404
    document = request.document
    response = HttpResponse(bytes(document.content), content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(False, document.file_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
