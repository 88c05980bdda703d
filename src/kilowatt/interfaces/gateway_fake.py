"""The local fake payment gateway's page: what a payer sees at the gateway, with "pay" and "decline".

Mounted only when PAYMENT_GATEWAY is "fake" (the demo and tests). Paying builds the signed notification
the real gateway would POST and hands it to the same verification and recording as the notify endpoint.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from kilowatt.core.clock import system_clock
from kilowatt.finance.gateway import FakeGateway, GatewayError, payment_gateway
from kilowatt.finance.online import online_payment_record


@require_http_methods(["GET", "POST"])
def fake_gateway_page(request: HttpRequest, token: str) -> HttpResponse:
    gateway = payment_gateway()
    if not isinstance(gateway, FakeGateway):
        raise Http404
    try:
        session = gateway.fake_session(token=token)
    except GatewayError:
        raise Http404 from None
    if request.method == "POST":
        status = "paid" if request.POST.get("decision") == "pay" else "failed"
        body, headers = gateway.fake_notification(token=token, status=status, paid_at=system_clock.now())
        notification = gateway.notification_verify(body=body, headers=headers)
        online_payment_record(gateway=gateway, notification=notification, now=system_clock.now())
        target = session.return_url
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = "/"
        return redirect(target)
    return render(request, "fake_gateway.html", {"session": session})
