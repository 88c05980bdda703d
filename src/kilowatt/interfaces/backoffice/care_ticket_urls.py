"""URLs of the care back office pages (tickets)."""

from django.urls import path

from kilowatt.interfaces.backoffice import care_tickets

urlpatterns: list = [
    path("care/tickets/", care_tickets.tickets, name="care_tickets"),
    path("care/tickets/new/", care_tickets.ticket_new, name="care_ticket_new"),
    path("care/tickets/<int:ticket_id>/", care_tickets.ticket_detail, name="care_ticket"),
    path("care/tickets/<int:ticket_id>/action/", care_tickets.ticket_action, name="care_ticket_action"),
    path("care/caller/", care_tickets.caller, name="care_caller"),
]
