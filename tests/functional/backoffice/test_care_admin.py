"""Ticket types are configured in the admin: a form whose condition names a field that is not on it is refused
with the reason on the page (not a server error), and nothing is saved; a sound form is saved."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from kilowatt.care.models import TicketFormField, TicketType
from tests import care_fixtures

pytestmark = pytest.mark.django_db


def _post(client, team, **field):
    values = {
        "company": team.company_id, "code": "meter", "name_pl": "Licznik", "name_en": "Meter",
        "icon": "meter", "colour": "#0f766e", "team": team.pk, "sla_hours": "8",
        "answer_days": "14", "position": "0",
        "is_active": "on",
        "fields-TOTAL_FORMS": "1", "fields-INITIAL_FORMS": "0", "fields-MIN_NUM_FORMS": "0",
        "fields-MAX_NUM_FORMS": "1000",
        "fields-0-code": "serial", "fields-0-label_pl": "Numer", "fields-0-label_en": "Serial",
        "fields-0-kind": "text", "fields-0-position": "0",
    }  # fmt: skip
    values.update({f"fields-0-{name}": value for name, value in field.items()})
    return client.post("/admin/care/tickettype/add/", values)


def test_a_condition_naming_a_missing_field_is_refused_on_the_page(company):
    team = care_fixtures.teams(company)["call-centre"]
    superuser = get_user_model().objects.create_superuser("root", "root@example.pl", "s3cret-pass!")
    client = Client()
    client.force_login(superuser)
    refused = _post(client, team, required_when_field="reason", required_when_value="reading")
    assert (
        refused.status_code == 200
        and "depends on reason, which is not on this form" in refused.content.decode()
    )
    assert not TicketType.objects.filter(code="meter").exists()
    saved = _post(client, team, is_required="on")
    assert saved.status_code == 302
    assert TicketFormField.objects.get(ticket_type__code="meter").is_required
