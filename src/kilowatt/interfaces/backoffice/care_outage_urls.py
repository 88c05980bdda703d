"""URLs of the care back office pages: outages (dispatchers) and complaints (the legal deadline, the
decision and its answer letter)."""

from django.urls import path

from kilowatt.interfaces.backoffice import care_complaints, care_outages

urlpatterns: list = [
    path("care/outages/", care_outages.outages, name="care_outages"),
    path("care/outages/new/", care_outages.outage_new, name="care_outage_new"),
    path("care/outages/<int:outage_id>/", care_outages.outage_detail, name="care_outage"),
    path("care/outages/<int:outage_id>/action/", care_outages.outage_action, name="care_outage_action"),
    path("care/complaints/", care_complaints.complaints, name="care_complaints"),
    path(
        "care/complaints/<int:ticket_id>/decide/",
        care_complaints.complaint_decide_view,
        name="care_complaint_decide",
    ),
    path(
        "care/complaints/<int:ticket_id>/letter/<int:correspondence_id>/",
        care_complaints.complaint_letter,
        name="care_complaint_letter",
    ),
]
