"""Collections cases and online payments (start, and the gateway's notification)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Router, Schema

from kilowatt.collections.queries import cases_for_list
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import NotFound, ValidationFailed
from kilowatt.core.permissions import RECORD_PAYMENTS, VIEW_COLLECTIONS
from kilowatt.finance.gateway import GatewayError, payment_gateway
from kilowatt.finance.online import online_payment_record, online_payment_start
from kilowatt.interfaces.api.common import Page, paginate, require
from kilowatt.parties.queries import customer_of_company

router = Router(tags=["finance"])


class CaseOut(Schema):
    id: int
    customer_id: int
    status: str
    stage: str | None
    stage_reached_on: date | None
    awaiting_approval: bool
    hold_reason: str
    overdue_at_last_run: Decimal
    opened_on: date
    closed_on: date | None

    @staticmethod
    def resolve_stage(obj) -> str | None:
        return obj.step.name if obj.step_id else None

    @staticmethod
    def resolve_stage_reached_on(obj) -> date | None:
        return obj.step_on


class CasePage(Page):
    items: list[CaseOut]


@router.get("/collections/cases", response=CasePage, summary="Dunning cases (not closed, or by status)")
def list_cases(request: HttpRequest, status: str = "", page: int = 1, page_size: int = 50):
    require(request, VIEW_COLLECTIONS)
    items, meta = paginate(
        cases_for_list(company=request.actor.company, status=status), page=page, page_size=page_size
    )
    return {**meta, "items": items}


class OnlinePaymentIn(Schema):
    customer_id: int
    amount: Decimal
    document_number: str = ""
    return_url: str


class OnlinePaymentOut(Schema):
    session_id: str
    status: str
    redirect_url: str


@router.post("/payments/online", response=OnlinePaymentOut, summary="Start a card or online payment")
def start_online_payment(request: HttpRequest, data: OnlinePaymentIn):
    require(request, RECORD_PAYMENTS)
    customer = customer_of_company(company=request.actor.company, customer_id=data.customer_id)
    if customer is None:
        raise NotFound("Customer not found.")
    gateway = payment_gateway()
    try:
        payment, redirect_url = online_payment_start(
            gateway=gateway,
            provider=type(gateway).__name__,
            customer=customer,
            amount=data.amount,
            document_number=data.document_number,
            return_url=data.return_url,
            notify_url=request.build_absolute_uri(reverse("api:gateway_notify")),
            now=system_clock.now(),
        )
    except GatewayError as error:
        raise ValidationFailed.single("gateway", str(error)) from None
    return {"session_id": payment.session_id, "status": payment.status, "redirect_url": redirect_url}


@router.post(
    "/payments/gateway/notify",
    auth=None,
    url_name="gateway_notify",
    summary="The payment gateway's notification (signed; no token)",
    include_in_schema=False,
)
def gateway_notify(request: HttpRequest):
    gateway = payment_gateway()
    try:
        notification = gateway.notification_verify(body=request.body, headers=dict(request.headers))
        online_payment_record(gateway=gateway, notification=notification, now=system_clock.now())
    except GatewayError as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")
