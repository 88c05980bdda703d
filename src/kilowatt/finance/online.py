"""Card and online payments through the payment gateway adapter.

A payment is started for a customer (and, optionally, the document it pays); the gateway answers with a
page to send the payer to. The gateway's notification is verified (signature), confirmed with the
gateway where it asks for that, and only then posted to the ledger as a payment — once, however many
times the notification arrives.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kilowatt.core.clock import WARSAW
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.money import is_money
from kilowatt.finance.allocation import ledger_allocate_many
from kilowatt.finance.gateway import GatewayNotification, PaymentGateway
from kilowatt.finance.models import GatewayPayment, GatewayPaymentStatus, LedgerEntry, LedgerEntryKind
from kilowatt.parties.models import Customer

MAX_ONLINE_PAYMENT = Decimal("100000.00")


@transaction.atomic
def online_payment_start(
    *,
    gateway: PaymentGateway,
    provider: str,
    customer: Customer,
    amount: Decimal,
    document_number: str,
    return_url: str,
    notify_url: str,
    now: datetime,
) -> tuple[GatewayPayment, str]:
    """Register the payment with the gateway; returns it and the URL to send the payer to."""
    if not is_money(amount) or not 0 < amount <= MAX_ONLINE_PAYMENT:
        raise ValidationFailed.single(
            "amount", _("Pay more than 0 and at most %(max)s.") % {"max": MAX_ONLINE_PAYMENT}
        )
    payment = GatewayPayment.objects.create(
        company_id=customer.company_id,
        customer=customer,
        provider=provider,
        session_id=f"KW-{secrets.token_hex(12)}",
        amount=amount,
        document_number=document_number[:40],
        status=GatewayPaymentStatus.STARTED,
        started_at=now,
    )
    title = document_number or customer.number
    start = gateway.payment_start(
        payment_id=payment.session_id,
        amount=amount,
        currency=payment.currency,
        description=_("Payment %(title)s") % {"title": title},
        email=customer.email,
        return_url=return_url,
        notify_url=notify_url,
        language=customer.language or "pl",
    )
    payment.gateway_token = start.token[:100]
    payment.save(update_fields=["gateway_token"])
    return payment, start.redirect_url


@transaction.atomic
def online_payment_record(
    *, gateway: PaymentGateway, notification: GatewayNotification, now: datetime
) -> GatewayPayment:
    """Record the gateway's verified notification: a paid payment is confirmed with the gateway and posted
    to the ledger (and allocated); a repeated notification changes nothing."""
    payment = GatewayPayment.objects.select_for_update().filter(session_id=notification.payment_id).first()
    if payment is None:
        raise ValidationFailed.single("payment", _("No payment with this id was started."), code="not_found")
    if payment.status != GatewayPaymentStatus.STARTED:
        return payment
    if notification.status != "paid":
        payment.status = GatewayPaymentStatus.FAILED
        payment.save(update_fields=["status"])
        return payment
    gateway.payment_confirm(notification=notification, amount=payment.amount)
    payment.status = GatewayPaymentStatus.PAID
    payment.gateway_transaction = notification.transaction_id[:100]
    payment.paid_at = notification.paid_at or now
    payment.save(update_fields=["status", "gateway_transaction", "paid_at"])
    entry = LedgerEntry.objects.create(
        company_id=payment.company_id,
        customer_id=payment.customer_id,
        kind=LedgerEntryKind.PAYMENT,
        document_type="gateway_payment",
        document_id=payment.pk,
        document_number=(notification.transaction_id or payment.session_id)[:40],
        amount=-payment.amount,
        posted_on=timezone.localdate(payment.paid_at or now, WARSAW),
        created_at=now,
    )
    named = {entry.pk: [payment.document_number]} if payment.document_number else {}
    ledger_allocate_many(
        company_id=payment.company_id, customer_ids=[payment.customer_id], now=now, named=named
    )
    return payment
