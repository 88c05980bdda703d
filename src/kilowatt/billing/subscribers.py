"""Billing's reactions to other modules' events."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kilowatt.billing.models import CorrectionFlag, InvoiceRead
from kilowatt.core.models import OutboxEvent
from kilowatt.metering.models import MeterRead, ReadKind


def read_recorded(event: OutboxEvent) -> None:
    """Mark invoices built on a read that was just corrected, or on an estimate an actual read replaces."""
    payload = event.payload
    read = MeterRead.objects.filter(pk=payload["read_id"]).first()
    if read is None:
        return
    uses = InvoiceRead.objects.none()
    reason = ""
    if payload.get("supersedes_id"):
        uses = InvoiceRead.objects.filter(read_id=payload["supersedes_id"])
        reason = _("The read of %(day)s was corrected to %(value)s.")
    elif read.kind in (ReadKind.ACTUAL, ReadKind.CUSTOMER):
        uses = InvoiceRead.objects.filter(
            read__register_id=read.register_id, read__read_on=read.read_on, read__kind=ReadKind.ESTIMATE
        )
        reason = _("An actual read of %(day)s (%(value)s) replaces the estimate the invoice used.")
    CorrectionFlag.objects.bulk_create(
        [
            CorrectionFlag(
                invoice_id=invoice_id,
                read=read,
                reason=reason % {"day": read.read_on.isoformat(), "value": read.value},
                flagged_at=event.occurred_at,
            )
            for invoice_id in set(uses.values_list("invoice_id", flat=True))
        ],
        ignore_conflicts=True,
    )
