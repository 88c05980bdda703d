"""The correspondence log on the customer's page: a letter that came in is logged with its scan and
downloaded again byte for byte; bad input is named; nobody reaches another customer's or company's
documents, and staff without care.work cannot log anything."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kilowatt.care.models import Correspondence
from kilowatt.core.models import Role
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
SCAN = b"%PDF-1.4 scanned letter\n%%EOF"


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _log(client, customer, **fields):
    values = {"direction": "in", "channel": "letter", "subject": "Letter about the meter", "body": "See scan"}
    values.update(fields)
    return client.post(reverse("backoffice:care_correspondence_new", args=[customer.pk]), values)


def test_an_incoming_letter_is_logged_with_its_scan_and_downloaded_again(company, now, admin_user):
    customer = factories.customer(company, now)
    client = client_of(admin_user)
    response = _log(client, customer, document=SimpleUploadedFile("scan.pdf", SCAN, "application/pdf"))
    assert response.status_code == 302
    entry = Correspondence.objects.get()
    assert (entry.customer, entry.direction, entry.channel, entry.file_name) == (
        customer,
        "in",
        "letter",
        "scan.pdf",
    )
    download = client.get(reverse("backoffice:care_correspondence_file", args=[customer.pk, entry.pk]))
    assert download.status_code == 200 and download.content == SCAN
    assert 'filename="scan.pdf"' in download["Content-Disposition"]


def test_bad_input_is_named_and_nothing_is_logged(company, now, admin_user):
    customer = factories.customer(company, now)
    client = client_of(admin_user)
    response = _log(client, customer, subject=" ")
    page = client.get(response["Location"])
    assert "subject: Give the correspondence a subject." in page.content.decode()
    _log(client, customer, channel="pigeon")
    _log(client, customer, ticket="ZG/999999/2026")
    assert not Correspondence.objects.exists()


def test_nobody_reaches_another_customers_or_companys_documents(
    company, other_company, now, admin_user, rival_user
):
    mine, neighbour = factories.customer(company, now), factories.customer(company, now)
    client = client_of(admin_user)
    _log(client, mine, document=SimpleUploadedFile("scan.pdf", SCAN, "application/pdf"))
    entry = Correspondence.objects.get()
    # the right entry under another customer's id, and the whole route from another company
    assert (
        client.get(reverse("backoffice:care_correspondence_file", args=[neighbour.pk, entry.pk])).status_code
        == 404
    )
    rival = client_of(rival_user)
    assert (
        rival.get(reverse("backoffice:care_correspondence_file", args=[mine.pk, entry.pk])).status_code == 404
    )
    assert _log(rival, mine).status_code == 404
    seller = client_of(make_staff("sam", company, Role.SALES_MANAGER))
    assert _log(seller, mine).status_code == 403
    assert (
        seller.get(reverse("backoffice:care_correspondence_file", args=[mine.pk, entry.pk])).status_code
        == 403
    )
    assert Correspondence.objects.count() == 1
