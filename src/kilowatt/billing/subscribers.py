"""Billing's reactions to other modules' events."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation
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


def termination_penalty_charge(event: OutboxEvent) -> None:
    """``sales.contract.terminated-v1`` with a penalty: an accounting note charges it (once: a note of
    the same termination is not issued again when the event comes twice)."""
    from kilowatt.billing.models import Invoice, InvoiceKind
    from kilowatt.billing.notes import accounting_note_issue
    from kilowatt.core.clock import WARSAW
    from kilowatt.sales.models import Contract

    penalty = Decimal(event.payload.get("penalty") or "0")
    if penalty <= 0:
        return
    contract = (
        Contract.objects.filter(pk=event.payload["contract_id"]).select_related("company", "customer").first()
    )
    if contract is None:
        return
    with translation.override(contract.customer.language or "pl"):
        title = _("Early termination fee, contract %(number)s (notice of %(day)s)") % {
            "number": contract.number,
            "day": event.payload.get("received_on", ""),
        }
    if Invoice.objects.filter(
        contract=contract, kind=InvoiceKind.NOTE, lines__description=title[:200]
    ).exists():
        return
    accounting_note_issue(
        contract=contract,
        title=title,
        amount=penalty,
        issue_date=event.occurred_at.astimezone(WARSAW).date(),
        now=event.occurred_at,
    )
