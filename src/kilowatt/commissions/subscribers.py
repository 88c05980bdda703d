"""Commissions listen to sales (signature, termination, withdrawal), switching (start of supply, a switch
case cancelled) and finance (invoice paid): each event accrues or claws back entries, once however often
it comes. A DSO's rejection (``switching.switch.failed-v1``) is not listened to: a rejected case can be
corrected and submitted again; only its cancellation ends the switch."""

from __future__ import annotations

from datetime import date

from kilowatt.core.clock import WARSAW
from kilowatt.core.models import OutboxEvent


def subscribe() -> None:
    from kilowatt.core.operations import event_subscribe

    event_subscribe("sales.contract.signed-v1", contract_signed)
    event_subscribe("switching.supply.started-v1", supply_started)
    event_subscribe("finance.invoice.paid-v1", invoice_paid)
    event_subscribe("sales.contract.terminated-v1", contract_terminated)
    event_subscribe("sales.contract.withdrawn-v1", contract_withdrawn)
    event_subscribe("switching.case.cancelled-v1", switch_cancelled)


def _day(event: OutboxEvent, field: str) -> date:
    """A day of the payload, else the day (in Warsaw) the event happened."""
    value = event.payload.get(field)
    if value:
        return date.fromisoformat(str(value)[:10])
    return event.occurred_at.astimezone(WARSAW).date()


def contract_signed(event: OutboxEvent) -> None:
    from kilowatt.commissions.operations import commission_on_signature

    commission_on_signature(
        contract_id=event.payload["contract_id"], on_date=_day(event, "on_date"), now=event.occurred_at
    )


def supply_started(event: OutboxEvent) -> None:
    from kilowatt.commissions.operations import commission_on_supply_start

    commission_on_supply_start(
        contract_id=event.payload["contract_id"],
        supply_point_id=event.payload["supply_point_id"],
        start_date=_day(event, "start_date"),
        now=event.occurred_at,
    )


def invoice_paid(event: OutboxEvent) -> None:
    from kilowatt.commissions.operations import commission_on_invoice_paid

    commission_on_invoice_paid(
        invoice_id=event.payload["invoice_id"], paid_on=_day(event, "paid_on"), now=event.occurred_at
    )


def contract_terminated(event: OutboxEvent) -> None:
    from kilowatt.commissions.operations import commission_clawback_on_end

    ends_on = event.payload.get("effective_on")
    commission_clawback_on_end(
        contract_id=event.payload["contract_id"],
        on_date=_day(event, "on_date"),
        ends_on=date.fromisoformat(str(ends_on)[:10]) if ends_on else None,
        now=event.occurred_at,
    )


def contract_withdrawn(event: OutboxEvent) -> None:
    from kilowatt.commissions.operations import commission_clawback_on_end

    commission_clawback_on_end(
        contract_id=event.payload["contract_id"],
        on_date=_day(event, "on_date"),
        ends_on=None,
        withdrawn=True,
        now=event.occurred_at,
    )


def switch_cancelled(event: OutboxEvent) -> None:
    from kilowatt.commissions.operations import commission_clawback_on_switch_cancelled

    commission_clawback_on_switch_cancelled(
        case_id=event.payload["case_id"], on_date=_day(event, "cancelled_on"), now=event.occurred_at
    )
