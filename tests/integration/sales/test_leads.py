"""Leads typed in, imported or sent by a platform: validated, normalised, duplicates against leads and
customers refused with the field they repeat, a platform's lead received twice stored once, imports
reporting each bad row and keeping the good ones."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import ImportBatch
from kilowatt.sales.leads import LeadData, lead_create, leads_import
from kilowatt.sales.models import Campaign, Lead
from tests import factories
from tests.functional.api.conftest import token_client

pytestmark = pytest.mark.django_db
PESEL = "44051401359"


def test_a_lead_is_normalised_and_bad_fields_are_named(company, now):
    Campaign.objects.create(company=company, code="wiosna", name="Wiosna 2026")
    lead = lead_create(
        company=company,
        data=LeadData(first_name="Anna", last_name="Nowak", phone="601 234 567", email="Anna@Example.PL",
                      campaign="wiosna", annual_consumption_kwh="2 500,5", source="web"),
        now=now,
    )  # fmt: skip
    assert (lead.phone, lead.email, str(lead.annual_consumption_kwh)) == (
        "+48601234567",
        "anna@example.pl",
        "2500.5",
    )
    assert lead.campaign.code == "wiosna"
    with pytest.raises(ValidationFailed) as failed:
        lead_create(
            company=company,
            data=LeadData(kind="business", nip="123", phone="12", campaign="nope", commodity="water"),
            now=now,
        )
    assert {e.field for e in failed.value.errors} == {
        "business_name",
        "nip",
        "phone",
        "campaign",
        "commodity",
    }
    with pytest.raises(ValidationFailed) as failed:
        lead_create(company=company, data=LeadData(last_name="Bez Kontaktu"), now=now)
    assert failed.value.errors[0].field == "phone"


def test_duplicates_of_leads_and_customers_are_refused_unless_kept(company, now):
    factories.customer(company, now, pesel=PESEL)
    with pytest.raises(ValidationFailed) as failed:
        lead_create(company=company, data=LeadData(last_name="Kowalski", pesel=PESEL), now=now)
    assert failed.value.errors[0].field == "pesel" and failed.value.errors[0].code == "duplicate"
    first = lead_create(company=company, data=LeadData(last_name="Lis", email="lis@example.pl"), now=now)
    with pytest.raises(ValidationFailed) as failed:
        lead_create(company=company, data=LeadData(last_name="Lis", email="LIS@example.pl"), now=now)
    assert "Lis" in failed.value.errors[0].message and failed.value.errors[0].field == "email"
    kept = lead_create(
        company=company, data=LeadData(last_name="Lis", email="lis@example.pl"), now=now, keep_duplicate=True
    )
    assert kept.duplicate_of == first


def test_another_companys_records_are_not_duplicates(company, other_company, now):
    factories.customer(other_company, now, pesel=PESEL)
    lead = lead_create(company=company, data=LeadData(last_name="Kowalski", pesel=PESEL), now=now)
    assert lead.duplicate_of is None


def test_import_keeps_good_rows_reports_bad_ones_and_changes_nothing_twice(company, now):
    lead_create(company=company, data=LeadData(last_name="Stary", phone="500 100 200"), now=now)
    content = (
        "kind;first_name;last_name;business_name;nip;phone;email;source\n"
        "person;Jan;Kowalski;;;601 234 567;;targi\n"
        "business;;;Piekarnia Świt;5260250274;;biuro@swit.pl;targi\n"
        "person;Ola;;;;abc;;targi\n"
        "person;Piotr;Stary;;;500100200;;targi\n"
    ).encode()
    result = leads_import(company=company, file_name="leads.csv", content=content, actor=None, now=now)
    assert result.created == 2 and result.duplicates == 1
    assert [(e["row"], e["field"]) for e in result.errors] == [(4, "phone"), (5, "phone")]
    again = leads_import(company=company, file_name="copy.csv", content=content, actor=None, now=now)
    assert again.already_imported and Lead.objects.filter(company=company).count() == 3
    assert ImportBatch.objects.get(kind="leads").rows_failed == 2


def test_platform_api_stores_a_lead_once_and_names_duplicates(company, other_company, now):
    api = token_client(company, scopes=("leads",))
    body = {
        "last_name": "Wiśniewska",
        "phone": "+48 602 000 111",
        "source": "porownywarka",
        "external_id": "A-17",
    }
    first = api.post("/api/v1/leads", json.dumps(body), content_type="application/json")
    again = api.post("/api/v1/leads", json.dumps(body), content_type="application/json")
    assert first.status_code == 201 and again.json()["id"] == first.json()["id"]
    duplicate = api.post(
        "/api/v1/leads", json.dumps({**body, "external_id": "A-18"}), content_type="application/json"
    )
    assert duplicate.status_code == 422 and duplicate.json()["field"] == "phone"
    assert api.get("/api/v1/leads").json()["count"] == 1
    assert token_client(other_company, scopes=("leads",)).get("/api/v1/leads").json()["count"] == 0
    assert token_client(company, scopes=("read",)).get("/api/v1/leads").status_code == 403
    assert Client().get("/api/v1/leads").status_code == 401
