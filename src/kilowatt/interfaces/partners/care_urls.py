"""URLs of the partner portal's tickets to headquarters."""

from django.urls import path

from kilowatt.interfaces.partners import care_pages

urlpatterns: list = [
    path("tickets/", care_pages.tickets, name="tickets"),
    path("tickets/new/", care_pages.ticket_new, name="ticket_new"),
    path("tickets/<int:ticket_id>/", care_pages.ticket, name="ticket"),
]
