"""Switching listens to sales (a signed contract opens its cases) and to itself (a failed switch is
told to the salesperson and the customer)."""

from __future__ import annotations

import logging

from django.utils import translation
from django.utils.translation import gettext as _

from kilowatt.core.messaging import EmailNotSent, SmsNotSent, email_send, sms_sender
from kilowatt.core.models import OutboxEvent

log = logging.getLogger(__name__)


def subscribe() -> None:
    from kilowatt.core.operations import event_subscribe
    from kilowatt.switching.operations import cases_close_for_ended_contract, cases_open_for_signed_contract

    event_subscribe("sales.contract.signed-v1", cases_open_for_signed_contract)
    event_subscribe("sales.contract.terminated-v1", cases_close_for_ended_contract)
    event_subscribe("sales.contract.ceded-v1", cases_close_for_ended_contract)
    event_subscribe("switching.switch.failed-v1", switch_failed_notify)


def switch_failed_notify(event: OutboxEvent) -> None:
    """Tell the case's owner (the salesperson) by e-mail, and the customer by e-mail or SMS in plain
    words, that the DSO refused the switch and why. A message that cannot be sent is logged: the
    rejection itself stands and shows on the case and the 360° page."""
    from kilowatt.switching.models import SwitchCase

    case = (
        SwitchCase.objects.filter(pk=event.payload["case_id"])
        .select_related("company", "owner", "supply_point", "contract__customer")
        .first()
    )
    if case is None or case.status != "rejected":
        return  # already submitted again, cancelled or withdrawn: the rejection is no longer news
    reason = event.payload.get("reason") or event.payload.get("code") or ""  # as the DSO gave it
    if case.owner is not None and case.owner.email:
        subject = _("Switch %(number)s rejected by the DSO") % {"number": case.number}
        body = _(
            "The DSO rejected switch %(number)s of supply point %(code)s (contract %(contract)s): "
            "%(reason)s. Fix what it asks for and submit the case again."
        ) % {
            "number": case.number,
            "code": case.supply_point.code,
            "contract": case.contract.number,
            "reason": reason,
        }
        _send(lambda: email_send(to=case.owner.email, subject=subject, body=body), case)
    customer = case.contract.customer
    with translation.override(customer.language if customer.language in ("pl", "en") else "pl"):
        text = _(
            "%(company)s: the change of your supplier at supply point %(code)s has been held up by the "
            "grid operator: %(reason)s. We are dealing with it and will contact you."
        ) % {"company": case.company.name, "code": case.supply_point.code, "reason": reason}
        subject = _("Your change of supplier")
    if customer.email:
        _send(lambda: email_send(to=customer.email, subject=subject, body=text), case)
    elif customer.phone:
        _send(lambda: sms_sender().send(to=customer.phone, text=text), case)


def _send(send, case) -> None:
    try:
        send()
    except (EmailNotSent, SmsNotSent):
        log.warning("switch case %s: the rejection could not be told", case.number, exc_info=True)
