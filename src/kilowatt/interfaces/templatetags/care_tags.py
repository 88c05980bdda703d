"""Care pieces for templates: ``{% load care_tags %}``, then

- ``{% complaint_panel ticket as panel %}`` — what the complaint panel of a ticket's page shows: the days
  left to the legal deadline and their colour, the answer letters, whether a decision can still be taken,
  the teams to hand a correction to (the team coded "billing" chosen first)."""

from __future__ import annotations

from django import template

from kilowatt.care.complaints import complaint_days_left
from kilowatt.care.models import ComplaintDecision, Correspondence, Team, Ticket
from kilowatt.core.clock import system_clock
from kilowatt.interfaces.backoffice.care_complaints import DUE_SOON_DAYS, deadline_class

register = template.Library()

BILLING_TEAM_CODE = "billing"


@register.simple_tag
def complaint_panel(ticket: Ticket) -> dict:
    today = system_clock.today()
    days_left = complaint_days_left(ticket=ticket, on_date=today)
    can_decide = ticket.decided_at is None and ticket.is_open
    teams = list(Team.objects.filter(company_id=ticket.company_id).order_by("name")) if can_decide else []
    default_team = next((team.pk for team in teams if team.code == BILLING_TEAM_CODE), None)
    letters = list(
        Correspondence.objects.filter(ticket=ticket, content__isnull=False)
        .defer("content")
        .order_by("-created_at", "-id")
    )
    return {
        "days_left": days_left,
        "overdue_days": -days_left if days_left is not None and days_left < 0 else 0,
        "deadline_class": deadline_class(days_left),
        "due_soon_days": DUE_SOON_DAYS,
        "letters": letters,
        "can_decide": can_decide,
        "decisions": ComplaintDecision.choices,
        "teams": teams,
        "default_team": default_team,
        "can_correct": ticket.invoice_id is not None,
    }
