"""The signer's own page of the built-in signature: the link in the one-time-code message opens the
document and a field for the code, on the customer's phone or computer. No login: the signed token in
the link names the signer, and the code proves they received it."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache

from kilowatt.core.clock import system_clock
from kilowatt.sales.models import SignatureStatus
from kilowatt.sales.signatures import SignatureRefused, signature_code_confirm, signature_party_by_token


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
        except SignatureRefused as refused:
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
            "open": party.request.status == SignatureStatus.PENDING and party.signed_at is None,
        },
    )


@never_cache
def sign_document(request: HttpRequest, token: str) -> HttpResponse:
    party = _party(token)
    document = party.request.document
    response = HttpResponse(bytes(document.content), content_type=document.content_type)
    response["Content-Disposition"] = f'inline; filename="{document.file_name}"'
    return response
