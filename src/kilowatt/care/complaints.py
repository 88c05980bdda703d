"""Complaints: the legal answer deadline, the decision with its letter, and its effects (a correction
requested from billing; the debt dispute that blocked dunning closed)."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from kilowatt.care.models import (
    OPEN_STATUSES,
    ComplaintDecision,
    Correspondence,
    CorrespondenceChannel,
    Direction,
    Team,
    Ticket,
    TicketEventKind,
    TicketMessage,
    TicketMessageKind,
    TicketStatus,
)
from kilowatt.care.operations import TicketRefused, ticket_event_record, ticket_status_change
from kilowatt.care.sla import WARSAW
from kilowatt.collections.operations import debt_dispute_close
from kilowatt.core.errors import FieldError, ValidationFailed
from kilowatt.core.messaging import EmailNotSent, email_send
from kilowatt.documents.letters import LetterDocumentInvalid, letter_pdf_render
from kilowatt.finance.correspondence import letter_parties
from kilowatt.parties.models import Channel


def complaints_open(*, company) -> QuerySet[Ticket]:
    """Open complaints, the nearest legal deadline first (overdue ones on top)."""
    return (
        Ticket.objects.filter(company=company, ticket_type__is_complaint=True, status__in=OPEN_STATUSES)
        .select_related("customer", "ticket_type", "invoice")
        .order_by("answer_due_on", "id")
    )


def complaint_days_left(*, ticket: Ticket, on_date: date) -> int | None:
    """Calendar days left to answer (negative when late); None when it is not a complaint or answered."""
    if ticket.answer_due_on is None or ticket.decided_at is not None:
        return None
    return (ticket.answer_due_on - on_date).days


def _letter(ticket: Ticket, decision: str, reasons: str, issued_on: date) -> dict:
    customer = ticket.customer
    assert customer is not None
    parties = letter_parties(company=ticket.company, customer=customer)
    with translation.override(parties["language"]):
        about = (
            _("Your complaint %(number)s of %(date)s about invoice %(invoice)s.")
            if ticket.invoice_id
            else _("Your complaint %(number)s of %(date)s.")
        ) % {
            "number": ticket.number,
            "date": ticket.created_at.astimezone(WARSAW).date().isoformat(),
            "invoice": ticket.invoice.number if ticket.invoice_id else "",
        }
        verdict = {
            ComplaintDecision.ACCEPTED: _("We accept your complaint."),
            ComplaintDecision.PARTLY: _("We accept your complaint in part."),
            ComplaintDecision.REJECTED: _("We reject your complaint."),
        }[ComplaintDecision(decision)]
        paragraphs = [about, verdict, *[line for line in reasons.splitlines() if line.strip()]]
        if ticket.correction_requested:
            paragraphs.append(_("A correction invoice will be issued and sent to you."))
        if decision != ComplaintDecision.ACCEPTED:
            paragraphs.append(
                _(
                    "If you disagree, you may turn to the Energy Regulatory Office's consumer ombudsman or "
                    "to "
                    "a consumer court of arbitration."
                )
            )
    return {
        **parties,
        "kind": "complaint_answer",
        "number": ticket.number,
        "issued_on": issued_on.isoformat(),
        "paragraphs": paragraphs,
        "items": [],
        "totals": {"amount": "0.00"},
        "supply_point": (
            {"code": ticket.supply_point.code, "address": str(ticket.supply_point.address)}
            if ticket.supply_point_id
            else None
        ),
    }


@transaction.atomic
def complaint_decide(
    *,
    ticket: Ticket,
    decision: str,
    reasons: str,
    request_correction: bool,
    billing_team: Team | None,
    now: datetime,
    made_by: AbstractBaseUser,
) -> Correspondence:
    """Record the decision, print the answer letter, send it by the customer's channel, apply the effects
    and resolve the complaint. Returns the letter as logged. Nothing is stored if any part is refused."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("ticket_type", "customer", "company")
        .get(pk=ticket.pk)
    )
    errors: list[FieldError] = []
    if not ticket.ticket_type.is_complaint:
        raise TicketRefused(_("Only a complaint gets a decision."), field="decision")
    if ticket.decided_at is not None:
        raise TicketRefused(_("The complaint has already been decided."), field="decision")
    if not ticket.is_open:
        raise TicketRefused(_("Only an open complaint can be decided."), field="decision")
    if decision not in ComplaintDecision.values:
        errors.append(FieldError("decision", _("Choose accepted, partly accepted or rejected."), "required"))
    if not reasons.strip():
        errors.append(
            FieldError("reasons", _("Give the reasons; they are printed in the letter."), "required")
        )
    if request_correction and (ticket.invoice_id is None or decision == ComplaintDecision.REJECTED):
        errors.append(
            FieldError("request_correction", _("A correction needs an accepted complaint about an invoice."))
        )
    if request_correction and billing_team is None:
        errors.append(FieldError("request_correction", _("Choose the team that issues corrections.")))
    if errors:
        raise ValidationFailed(errors)
    today = now.astimezone(WARSAW).date()
    ticket.decision, ticket.decision_text, ticket.decided_at = decision, reasons.strip(), now
    ticket.correction_requested = request_correction
    try:
        pdf = letter_pdf_render(letter=_letter(ticket, decision, reasons, today))
    except LetterDocumentInvalid as error:
        raise ValidationFailed.single(
            "letter", _("The letter cannot be printed: %(reason)s") % {"reason": error}
        ) from error
    customer = ticket.customer
    assert customer is not None
    file_name = f"{ticket.number.replace('/', '-')}-answer.pdf"
    subject = _("Answer to your complaint %(number)s") % {"number": ticket.number}
    delivered, failure, channel, recipient = False, "", CorrespondenceChannel.LETTER, ""
    if customer.preferred_channel == Channel.EMAIL and customer.email:
        try:
            email_send(
                to=customer.email,
                subject=subject,
                body="\n\n".join(_letter(ticket, decision, reasons, today)["paragraphs"]),
                attachments=[(file_name, pdf, "application/pdf")],
            )
            delivered, channel, recipient = True, CorrespondenceChannel.EMAIL, customer.email
        except EmailNotSent as error:
            failure = str(error)
    letter = Correspondence.objects.create(
        company=ticket.company,
        customer=customer,
        ticket=ticket,
        direction=Direction.OUT,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=reasons.strip(),
        file_name=file_name,
        content_type="application/pdf",
        content=pdf,
        delivered=delivered,
        failure=failure[:300] or ("" if delivered else _("To be printed and posted.")),
        created_at=now,
        created_by=made_by,
    )
    if ticket.debt_dispute_id is not None and ticket.debt_dispute.closed_on is None:
        debt_dispute_close(
            dispute=ticket.debt_dispute, outcome=ComplaintDecision(decision).label, on_date=today
        )
    TicketMessage.objects.create(
        ticket=ticket,
        first_ticket=ticket,
        kind=TicketMessageKind.OUTBOUND,
        text=reasons.strip(),
        author=made_by,
        author_name=str(made_by or ""),
        created_at=now,
    )
    ticket.save(update_fields=["decision", "decision_text", "decided_at", "correction_requested"])
    ticket_event_record(ticket, TicketEventKind.DECIDED, now, made_by, ComplaintDecision(decision).label)
    if request_correction and billing_team is not None:
        # the billing team's queue shows it as a correction to issue, even when it already held the complaint
        ticket.team, ticket.assignee = billing_team, None
        ticket.save(update_fields=["team", "assignee"])
        ticket_event_record(
            ticket,
            TicketEventKind.HANDED_OVER,
            now,
            made_by,
            _("Correction invoice requested for %(invoice)s.") % {"invoice": ticket.invoice.number},
        )
    # Through the transition table, so a paused SLA resumes and a late answer is flagged as a breach.
    following = TicketStatus.IN_PROGRESS if request_correction else TicketStatus.RESOLVED
    if ticket.status != following:
        ticket_status_change(ticket=ticket, status=following, note="", now=now, made_by=made_by)
    return letter
