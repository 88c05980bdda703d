"""E-mails to the care mailbox: a new e-mail becomes a ticket of the sender's customer, a reply quoting the
ticket number becomes a message of that ticket (and wakes a ticket waiting for the customer), the same
e-mail twice changes nothing, a stranger quoting someone's number gets a ticket of their own; the folder
mailbox archives only what was stored, and an unreadable e-mail stays in the inbox."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.core.management import call_command

from kilowatt.care.inbound import email_receive
from kilowatt.care.models import Correspondence, Ticket, TicketMessage, TicketStatus
from kilowatt.care.operations import ticket_status_change
from tests import care_fixtures, factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def question(company):
    return care_fixtures.ticket_types(company, care_fixtures.teams(company))["question"]


def _email(sender: str, subject: str, text: str, message_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"Jan Kowalski <{sender}>"
    message["To"] = "bok@kilowatt.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(text)
    message.add_attachment(b"%PDF-1.4 photo", maintype="application", subtype="pdf", filename="meter.pdf")
    return message.as_bytes()


def test_an_email_becomes_a_ticket_and_the_reply_a_message_of_it_once(company, now, question):
    customer = factories.customer(company, now, email="jan.kowalski@example.pl")
    first = _email("Jan.Kowalski@example.pl", "Faktura za marzec", "Dlaczego tak dużo?", "<a1@mail.example>")
    received = email_receive(company=company, raw=first, ticket_type=question, now=now)
    ticket = received.ticket
    assert received.created and (ticket.customer, ticket.channel) == (customer, "email")
    assert ticket.caller_email == "Jan.Kowalski@example.pl" and ticket.subject == "Faktura za marzec"
    assert list(ticket.messages.values_list("text", flat=True)) == ["Dlaczego tak dużo?"]
    kept = Correspondence.objects.get(ticket=ticket)
    assert (kept.direction, kept.channel, bytes(kept.content)) == ("in", "email", first)

    again = email_receive(company=company, raw=first, ticket_type=question, now=now + timedelta(minutes=5))
    assert again.duplicate and again.ticket == ticket
    assert Ticket.objects.count() == 1 and TicketMessage.objects.count() == 1

    ticket_status_change(
        ticket=ticket, status=TicketStatus.WAITING_CUSTOMER, note="Asked for a photo", now=now, made_by=None
    )
    reply = _email(
        "jan.kowalski@example.pl",
        f"Re: [{ticket.number}] Faktura za marzec",
        "Zdjęcie w załączniku",
        "<a2@mail.example>",
    )
    answered = email_receive(company=company, raw=reply, ticket_type=question, now=now + timedelta(hours=1))
    ticket.refresh_from_db()
    assert not answered.created and answered.ticket == ticket and ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.messages.filter(kind="inbound", text="Zdjęcie w załączniku").exists()


def test_a_stranger_quoting_someones_ticket_number_gets_a_ticket_of_their_own(company, now, question):
    factories.customer(company, now, email="owner@example.pl")
    own = email_receive(
        company=company,
        raw=_email("owner@example.pl", "Pytanie", "?", "<b1@x>"),
        ticket_type=question,
        now=now,
    ).ticket
    stranger = email_receive(
        company=company,
        raw=_email("someone@else.example", f"Re: {own.number}", "I want in", "<b2@x>"),
        ticket_type=question,
        now=now,
    )
    assert stranger.created and stranger.ticket != own and stranger.ticket.customer is None
    assert own.messages.count() == 1


def test_the_folder_mailbox_archives_what_was_stored_and_keeps_what_was_refused(
    company, now, question, tmp_path, settings
):
    factories.customer(company, now, email="jan@example.pl")
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(_email("jan@example.pl", "Licznik", "Odczyt 1234", "<c1@x>"))
    (inbox / "2.eml").write_bytes(b"no headers at all")
    settings.CARE_MAILBOXES = {
        company.code: [
            {"kind": "folder", "inbox": str(inbox), "archive": str(archive), "ticket_type": "question"}
        ]
    }
    call_command("care-mail-fetch")
    assert Ticket.objects.filter(channel="email").count() == 1
    assert [p.name for p in inbox.iterdir()] == ["2.eml"] and [p.name for p in archive.iterdir()] == ["1.eml"]
    call_command("care-mail-fetch")
    assert Ticket.objects.count() == 1
