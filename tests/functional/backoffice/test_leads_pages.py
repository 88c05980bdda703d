"""Leads in the back office: the list for those who work leads only, a lead typed in (a duplicate is named
and may be kept), a spreadsheet imported with its bad rows reported."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kilowatt.core.models import Role
from kilowatt.sales.models import Lead
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


def _client(username, company, role) -> Client:
    make_staff(username, company, role)
    client = Client()
    client.login(username=username, password="s3cret-pass!")
    return client


def test_type_in_a_lead_then_its_duplicate(company, other_company, django_assert_max_num_queries):
    sales = _client("sa", company, Role.SALES_MANAGER)
    form = {
        "kind": "person",
        "first_name": "Ewa",
        "last_name": "Maj",
        "phone": "601 234 567",
        "source": "telefon",
    }
    assert sales.post("/leads/new/", form).status_code == 302
    page = sales.post("/leads/new/", {**form, "first_name": "Ewelina"}).content.decode()
    assert "Ewa Maj" in page and "has-error" in page  # named as the duplicate, on the phone field
    assert sales.post("/leads/new/", {**form, "keep_duplicate": "on"}).status_code == 302
    assert Lead.objects.filter(company=company).count() == 2
    with django_assert_max_num_queries(12):
        listing = sales.get("/lists/leads/").content.decode()
    assert "Ewa Maj" in listing and "+48601234567" in listing
    assert "Ewa Maj" not in _client("rival", other_company, Role.ADMIN).get("/lists/leads/").content.decode()
    billing = _client("bi", company, Role.BILLING)
    assert billing.get("/lists/leads/").status_code == 403
    assert billing.post("/leads/new/", form).status_code == 403


def test_import_leads_reports_bad_rows(company):
    client = _client("bo", company, Role.BACK_OFFICE)
    content = b"kind;last_name;phone;email\nperson;Nowak;601 234 567;\nperson;Bez;;zly-adres\n"
    page = client.post("/leads/import/", {"file": SimpleUploadedFile("leads.csv", content)}).content.decode()
    assert "Imported: 1" in page and "zly" not in page.split("import-result")[0]
    assert Lead.objects.filter(company=company).count() == 1
