"""The customer 360° page's care panels: the customer's tickets and the correspondence log."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kilowatt.care.models import CorrespondenceChannel, Direction
from kilowatt.care.queries import correspondence_of_customer, tickets_of_customer
from kilowatt.core.permissions import WORK_TICKETS
from kilowatt.interfaces.backoffice.panels import panel_register

PANEL_ROWS = 20


def _tickets(request, customer) -> dict:
    return {"customer": customer, "tickets": list(tickets_of_customer(customer=customer)[:PANEL_ROWS])}


def _correspondence(request, customer) -> dict:
    return {
        "customer": customer,
        "entries": list(correspondence_of_customer(customer=customer)[:PANEL_ROWS]),
        "directions": Direction.choices,
        "channels": CorrespondenceChannel.choices,
    }


def register() -> None:
    panel_register(
        key="tickets",
        title=_("Tickets"),
        order=70,
        template="backoffice/panels/tickets.html",
        context=_tickets,
        permission=WORK_TICKETS,
    )
    panel_register(
        key="correspondence",
        title=_("Correspondence"),
        order=72,
        template="backoffice/panels/correspondence.html",
        context=_correspondence,
        permission=WORK_TICKETS,
    )
