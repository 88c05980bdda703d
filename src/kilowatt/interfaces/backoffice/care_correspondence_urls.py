"""URLs of the correspondence log on the customer's page."""

from django.urls import path

from kilowatt.interfaces.backoffice import care_correspondence

urlpatterns: list = [
    path(
        "customers/<int:customer_id>/correspondence/new/",
        care_correspondence.correspondence_new,
        name="care_correspondence_new",
    ),
    path(
        "customers/<int:customer_id>/correspondence/<int:entry_id>/file/",
        care_correspondence.correspondence_file,
        name="care_correspondence_file",
    ),
]
