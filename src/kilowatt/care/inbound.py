"""E-mails to the care mailbox become tickets, or messages of the ticket whose number the subject quotes.

Each e-mail is kept whole (.eml) in the customer's correspondence log; its Message-ID makes receiving it
twice change nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kilowatt.care.models import (
    Correspondence,
    CorrespondenceChannel,
    Direction,
    Ticket,
    TicketChannel,
    TicketMessage,
    TicketMessageKind,
    TicketStatus,
    TicketType,
)
from kilowatt.care.operations import TicketData, ticket_register, ticket_status_change
from kilowatt.core.errors import DomainError
from kilowatt.core.models import Company
from kilowatt.parties.models import Customer

TICKET_NUMBER = re.compile(r"\b([A-Z]{1,4}/\d{6}/\d{4})\b")
MAX_TEXT = 20000


class EmailUnreadable(DomainError):
    code = "email_unreadable"


@dataclass(frozen=True)
class EmailReceived:
    ticket: Ticket
    created: bool  # a new ticket, rather than a message added to an open one
    duplicate: bool  # this e-mail had been received before; nothing changed


def _parse(raw: bytes) -> EmailMessage:
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except (ValueError, TypeError) as error:
        raise EmailUnreadable(_("The e-mail cannot be read: %(error)s") % {"error": error}) from error
    if not isinstance(message, EmailMessage) or not parseaddr(str(message.get("From", "")))[1]:
        raise EmailUnreadable(_("The e-mail has no sender address."), field="From")
    return message


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = body.get_content()
    if body.get_content_type() == "text/html":
        content = re.sub(r"<[^>]+>", " ", content)
    return re.sub(r"\n{3,}", "\n\n", content).strip()[:MAX_TEXT]


def _message_id(message: EmailMessage, raw: bytes) -> str:
    given = str(message.get("Message-ID", "")).strip()
    return given[:250] if given else "sha256:" + hashlib.sha256(raw).hexdigest()


def _customer_of(company: Company, address: str) -> Customer | None:
    """The one customer with this e-mail (theirs or a contact person's); None when none or several."""
    matches = list(
        Customer.objects.filter(company=company)
        .filter(Q(email__iexact=address) | Q(contacts__email__iexact=address))
        .distinct()[:2]
    )
    return matches[0] if len(matches) == 1 else None


def _quoted_ticket(company: Company, subject: str) -> Ticket | None:
    for number in TICKET_NUMBER.findall(subject):
        ticket = Ticket.objects.filter(company=company, number=number).select_related("merged_into").first()
        if ticket is None:
            continue
        while ticket.status == TicketStatus.MERGED and ticket.merged_into is not None:
            ticket = ticket.merged_into
        return ticket
    return None


@transaction.atomic
def email_receive(*, company: Company, raw: bytes, ticket_type: TicketType, now: datetime) -> EmailReceived:
    """Turn one e-mail into a ticket of ``ticket_type`` (or a message of the quoted ticket, when that ticket
    belongs to the same sender's customer or to no customer). Raises EmailUnreadable, ValidationFailed."""
    message = _parse(raw)
    message_id = _message_id(message, raw)
    seen = (
        Correspondence.objects.filter(company=company, external_id=message_id)
        .select_related("ticket")
        .first()
    )
    if seen is not None and seen.ticket is not None:
        return EmailReceived(ticket=seen.ticket, created=False, duplicate=True)
    name, address = parseaddr(str(message.get("From", "")))
    subject = str(message.get("Subject", "")).strip() or _("(no subject)")
    text = _text(message) or _("(no text)")
    customer = _customer_of(company, address)
    ticket = _quoted_ticket(company, subject)
    if ticket is not None and ticket.customer_id not in (None, customer.pk if customer else None):
        ticket = None  # a stranger quoting someone's ticket number starts a ticket of their own
    created = ticket is None
    if ticket is None:
        ticket = ticket_register(
            company=company,
            data=TicketData(
                ticket_type=ticket_type,
                channel=TicketChannel.EMAIL,
                subject=subject[:200],
                description=text,
                customer=customer,
                caller_name=name or address,
                caller_email=address,
            ),
            now=now,
            registered_by=None,
        )
    else:
        TicketMessage.objects.create(
            ticket=ticket,
            first_ticket=ticket,
            kind=TicketMessageKind.INBOUND,
            text=text,
            author_name=name or address,
            created_at=now,
        )
        if ticket.status != TicketStatus.IN_PROGRESS:  # waiting, or finished: the answer goes back to work
            ticket_status_change(
                ticket=ticket, status=TicketStatus.IN_PROGRESS, note="", now=now, made_by=None
            )
    # The unique Message-ID per company makes a second worker receiving the same e-mail fail and roll back.
    Correspondence.objects.create(
        company=company,
        customer=ticket.customer,
        ticket=ticket,
        direction=Direction.IN,
        channel=CorrespondenceChannel.EMAIL,
        recipient=address[:254],
        subject=subject[:200],
        body=text,
        file_name=f"{ticket.number.replace('/', '-')}-{now:%Y%m%d%H%M%S}.eml",
        content_type="message/rfc822",
        content=raw,
        external_id=message_id,
        created_at=now,
    )
    return EmailReceived(ticket=ticket, created=created, duplicate=False)
