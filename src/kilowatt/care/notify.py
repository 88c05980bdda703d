"""Telling a customer or caller something (SMS or e-mail through the adapters) and logging it."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from kilowatt.care.models import Correspondence, CorrespondenceChannel, Direction, Ticket
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.identifiers import InvalidIdentifier
from kilowatt.core.messaging import EmailNotSent, SmsNotSent, email_send, sms_sender
from kilowatt.core.models import Company
from kilowatt.parties.models import Channel, Customer


def _route(*, customer: Customer | None, phone: str, email: str) -> tuple[str, str]:
    """The channel and address to use: the preferred one when usable, else SMS, else e-mail."""
    phone = phone or (customer.phone if customer else "")
    email = email or (customer.email if customer else "")
    preferred = customer.preferred_channel if customer else ""
    if preferred == Channel.EMAIL and email:
        return CorrespondenceChannel.EMAIL, email
    if phone:
        return CorrespondenceChannel.SMS, phone
    if email:
        return CorrespondenceChannel.EMAIL, email
    return "", ""


def person_inform(
    *,
    company: Company,
    customer: Customer | None,
    ticket: Ticket | None,
    subject: str,
    text: str,
    now: datetime,
    made_by: AbstractBaseUser | None,
    phone: str = "",
    email: str = "",
) -> Correspondence:
    """Send ``text`` by SMS or e-mail and record it in the correspondence log, delivered or not.

    A failure (no address, a refused number) is recorded with its reason, never raised: one caller
    without a phone must not stop the others from being told.
    """
    channel, address = _route(customer=customer, phone=phone, email=email)
    failure = ""
    if not channel:
        failure = _("No phone number or e-mail address to write to.")
    else:
        try:
            if channel == CorrespondenceChannel.SMS:
                sms_sender().send(to=address, text=text)
            else:
                email_send(to=address, subject=subject, body=text)
        except (SmsNotSent, EmailNotSent, InvalidIdentifier) as error:
            failure = str(error)
    return Correspondence.objects.create(
        company=company,
        customer=customer,
        ticket=ticket,
        direction=Direction.OUT,
        channel=channel or CorrespondenceChannel.SMS,
        recipient=address,
        subject=subject[:200],
        body=text,
        delivered=not failure,
        failure=failure[:300],
        created_at=now,
        created_by=made_by if made_by is not None and made_by.is_authenticated else None,
    )


def correspondence_record(
    *,
    company: Company,
    customer: Customer,
    direction: str,
    channel: str,
    subject: str,
    body: str,
    now: datetime,
    made_by: AbstractBaseUser | None,
    ticket: Ticket | None = None,
    recipient: str = "",
    document: tuple[str, bytes, str] | None = None,
) -> Correspondence:
    """Log a letter, e-mail or SMS that came in or went out outside Kilowatt, with its document."""
    if direction not in Direction.values:
        raise ValidationFailed.single("direction", _("Say whether it came in or went out."))
    if channel not in CorrespondenceChannel.values:
        raise ValidationFailed.single("channel", _("Choose a letter, e-mail, SMS or portal message."))
    if not subject.strip():
        raise ValidationFailed.single("subject", _("Give the correspondence a subject."))
    if ticket is not None and ticket.customer_id not in (None, customer.pk):
        raise ValidationFailed.single("ticket", _("The ticket is another customer's."))
    file_name, content, content_type = document or ("", None, "")
    return Correspondence.objects.create(
        company=company,
        customer=customer,
        ticket=ticket,
        direction=direction,
        channel=channel,
        recipient=recipient[:254],
        subject=subject.strip()[:200],
        body=body,
        file_name=file_name[:200],
        content=content,
        content_type=content_type[:100],
        created_at=now,
        created_by=made_by if made_by is not None and made_by.is_authenticated else None,
    )
