"""Fetching the care mailboxes of CARE_MAILBOXES, shared by the Celery task and the management command.

CARE_MAILBOXES = {"<company code>": [{"kind": "folder", "inbox": "...", "archive": "...",
"ticket_type": "<code>"} | {"kind": "imap", "host": "...", "user": "...", "password_env": "<VARIABLE>",
"folder": "INBOX", "archive_folder": "Kilowatt", "ticket_type": "<code>"}]}. The IMAP password is read
from the environment variable the entry names, never from the configuration itself.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from kilowatt.care.inbound import email_receive
from kilowatt.care.mailboxes import FolderMailbox, ImapMailbox, Mailbox
from kilowatt.care.models import TicketType
from kilowatt.core.errors import DomainError
from kilowatt.core.models import Company

log = logging.getLogger(__name__)


@dataclass
class MailReport:
    tickets: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def mailbox_from(config: dict) -> Mailbox:
    kind = config.get("kind")
    if kind == "folder":
        return FolderMailbox(inbox=config["inbox"], archive=config["archive"])
    if kind == "imap":
        variable = config.get("password_env", "")
        password = os.environ.get(variable, "") if variable else ""
        if not password:
            raise ImproperlyConfigured(
                f"CARE_MAILBOXES: set the IMAP password in the environment ({variable!r})"
            )
        return ImapMailbox(
            host=config["host"],
            port=int(config.get("port", 993)),
            user=config["user"],
            password=password,
            folder=config.get("folder", "INBOX"),
            archive_folder=config.get("archive_folder", ""),
        )
    raise ImproperlyConfigured(f"CARE_MAILBOXES: kind must be 'folder' or 'imap' (got {kind!r})")


def care_mail_fetch(*, now: datetime) -> MailReport:
    """Receive every waiting e-mail; one that is refused stays in the mailbox with the reason logged."""
    report = MailReport()
    for code, configs in (getattr(settings, "CARE_MAILBOXES", {}) or {}).items():
        company = Company.objects.get(code=code)
        for config in configs:
            ticket_type = TicketType.objects.get(company=company, code=config.get("ticket_type", "question"))
            mailbox = mailbox_from(config)
            for fetched in mailbox.pending():
                try:
                    received = email_receive(
                        company=company, raw=fetched.raw, ticket_type=ticket_type, now=now
                    )
                except DomainError as error:
                    report.refused[fetched.name] = error.message
                    log.error("e-mail %s of %s refused: %s", fetched.name, code, error.message)
                    continue
                if received.duplicate:
                    report.duplicates.append(fetched.name)
                elif received.created:
                    report.tickets.append(received.ticket.number)
                else:
                    report.messages.append(received.ticket.number)
                mailbox.acknowledge(name=fetched.name)
    return report
