"""A lead converted into a customer and an opportunity in the back office, its participants' split and an
activity; another company never reaches them."""

from __future__ import annotations

import pytest
from django.test import Client

from kilowatt.core.models import Role
from kilowatt.sales.leads import LeadData, lead_create
from kilowatt.sales.models import Opportunity
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.login(username=user.username, password="s3cret-pass!")
    return client


def test_convert_split_and_plan_a_call(company, other_company, now, django_assert_max_num_queries):
    owner, helper = (
        make_staff("owner", company, Role.SALES_MANAGER),
        make_staff("helper", company, Role.SALES_MANAGER),
    )
    lead = lead_create(
        company=company, data=LeadData(first_name="Ewa", last_name="Maj", phone="601 234 567"), now=now
    )
    client = _client(owner)
    refused = client.post(f"/leads/{lead.pk}/", {"owner": owner.pk, "city": "Kraków"}).content.decode()
    assert "building_number" in refused and not Opportunity.objects.exists()
    address = {
        "street": "Polna",
        "building_number": "5",
        "postal_code": "30-001",
        "city": "Kraków",
        "owner": owner.pk,
    }
    response = client.post(f"/leads/{lead.pk}/", address)
    opportunity = Opportunity.objects.get(lead=lead)
    assert response["Location"] == f"/opportunities/{opportunity.pk}/"
    action = f"/opportunities/{opportunity.pk}/action/"
    client.post(action, {"action": "participants", "user": [owner.pk, helper.pk], "share": ["70", "20"]})
    assert [p.share for p in opportunity.participants.all()] == [100]  # 90 % refused, the split unchanged
    client.post(action, {"action": "participants", "user": [owner.pk, helper.pk], "share": ["70", "30"]})
    assert sorted(p.share for p in opportunity.participants.all()) == [30, 70]
    client.post(action, {"action": "activity", "kind": "call", "subject": "Oddzwonić", "assignee": helper.pk,
                         "due_at": "2026-03-11T10:00"})  # fmt: skip
    with django_assert_max_num_queries(15):
        page = client.get(f"/opportunities/{opportunity.pk}/").content.decode()
    assert "Oddzwonić" in page and "Ewa Maj" in page
    rival = _client(make_staff("rival", other_company, Role.ADMIN))
    assert rival.get(f"/opportunities/{opportunity.pk}/").status_code == 404
    assert rival.post(action, {"action": "stage", "stage": "won"}).status_code == 404
    assert rival.get(f"/leads/{lead.pk}/").status_code == 404
