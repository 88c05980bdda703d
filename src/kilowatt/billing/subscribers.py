"""Billing's reactions to other modules' events."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kilowatt.billing.models import CorrectionFlag, InvoiceRead
from kilowatt.core.models import OutboxEvent
from kilowatt.metering.models import MeterRead


def read_recorded(event: OutboxEvent) -> None:
    """Mark invoices built on a read that was just corrected.

    An actual read that merely replaces an estimate raises no mark: the next bill starts from the estimate
    the invoice ended on and so settles the difference (docs/billing.md)."""
    payload = event.payload
    read = MeterRead.objects.filter(pk=payload["read_id"]).first()
    if read is None:
        return
    if not payload.get("supersedes_id"):
        return
    uses = InvoiceRead.objects.filter(read_id=payload["supersedes_id"])
    reason = _("The read of %(day)s was corrected to %(value)s.")
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
