"""Satisfaction surveys: a link sent once after a ticket is closed, answered once, scored per team/type."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from kilowatt.care.models import Survey, Ticket, TicketEventKind, TicketStatus
from kilowatt.care.notify import person_inform
from kilowatt.care.operations import ticket_event_record
from kilowatt.core.errors import DomainError, FieldError, ValidationFailed


class SurveyRefused(DomainError):
    code = "survey_refused"


@transaction.atomic
def survey_send(*, ticket: Ticket, survey_url: Callable[[str], str], now: datetime) -> Survey | None:
    """Send the survey of a closed ticket to its caller (once); None when there is nobody to ask."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",)).select_related("customer", "company").get(pk=ticket.pk)
    )
    if ticket.status != TicketStatus.CLOSED:
        raise SurveyRefused(_("A survey is sent only after the ticket is closed."))
    existing = Survey.objects.filter(ticket=ticket).first()
    if existing is not None:
        return existing
    customer = ticket.customer
    if not (ticket.caller_phone or ticket.caller_email or (customer and (customer.phone or customer.email))):
        return None
    token = secrets.token_urlsafe(24)
    language = customer.language if customer else "pl"
    with translation.override(language):
        subject = _("How did we do? (%(number)s)") % {"number": ticket.number}
        text = _("We closed your matter %(number)s. Tell us in one minute how we did: %(url)s") % {
            "number": ticket.number,
            "url": survey_url(token),
        }
    letter = person_inform(
        company=ticket.company,
        customer=customer,
        ticket=ticket,
        subject=subject,
        text=text,
        now=now,
        made_by=None,
        phone=ticket.caller_phone,
        email=ticket.caller_email,
    )
    survey = Survey.objects.create(ticket=ticket, token=token, channel=letter.channel, sent_at=now)
    ticket_event_record(ticket, TicketEventKind.SURVEY, now, None, letter.recipient)
    return survey


@transaction.atomic
def survey_answer(
    *, token: str, score: int | None, resolved: bool | None, comment: str, now: datetime
) -> Survey:
    """Record the answer behind a survey link; a link answers once. Raises SurveyRefused, ValidationFailed."""
    survey = Survey.objects.select_for_update().filter(token=token).first()
    if survey is None:
        raise SurveyRefused(_("This survey link is not valid."), code="not_found")
    if survey.answered_at is not None:
        raise SurveyRefused(_("Thank you, this survey has already been answered."))
    errors = []
    if score is None or not 1 <= score <= 5:
        errors.append(FieldError("score", _("Choose a score from 1 to 5."), "required"))
    if len(comment) > 2000:
        errors.append(FieldError("comment", _("At most 2000 characters.")))
    if errors:
        raise ValidationFailed(errors)
    survey.score, survey.resolved, survey.comment, survey.answered_at = score, resolved, comment.strip(), now
    survey.save(update_fields=["score", "resolved", "comment", "answered_at"])
    return survey
