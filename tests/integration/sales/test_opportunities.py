"""A lead converted into a customer and an opportunity; participants' shares that must sum to 100 %;
stages and activities."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Role
from kilowatt.parties.operations import AddressData
from kilowatt.sales.leads import LeadData, lead_create
from kilowatt.sales.models import LeadStatus, OpportunityStage
from kilowatt.sales.opportunities import (
    Share,
    activities_due,
    activity_add,
    activity_done,
    lead_convert,
    opportunity_stage_change,
    participants_set,
)
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
ADDRESS = AddressData(street="Polna", building_number="5", postal_code="00-950", city="Warszawa")


@pytest.fixture
def team(company):
    return make_staff("owner", company, Role.SALES_MANAGER), make_staff("helper", company, Role.SALES_MANAGER)


def test_a_lead_becomes_a_customer_and_an_opportunity(company, now, team):
    owner, _helper = team
    lead = lead_create(
        company=company,
        data=LeadData(first_name="Ewa", last_name="Maj", phone="601 234 567", commodity="gas",
                      annual_consumption_kwh="12000"),
        now=now,
    )  # fmt: skip
    opportunity = lead_convert(lead=lead, address=ADDRESS, owner=owner, actor=owner, now=now)
    assert opportunity.customer.display_name == "Ewa Maj" and opportunity.customer.phone == "+48601234567"
    assert opportunity.expected_volume_mwh == Decimal("12") and opportunity.commodity == "gas"
    assert [(p.user, p.share) for p in opportunity.participants.all()] == [(owner, Decimal("100.00"))]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    with pytest.raises(ValidationFailed):
        lead_convert(lead=lead, address=ADDRESS, owner=owner, actor=owner, now=now)


def test_a_lead_for_a_known_supply_point_joins_its_customer(company, now, team):
    owner, _helper = team
    customer = factories.customer(company, now)
    point = factories.supply_point(company, customer, now)
    lead = lead_create(
        company=company,
        data=LeadData(last_name="Inny", phone="500 600 700", supply_point_code=point.code),
        now=now,
        keep_duplicate=True,
    )
    opportunity = lead_convert(lead=lead, address=ADDRESS, owner=owner, actor=owner, now=now)
    assert opportunity.customer == customer and list(opportunity.supply_points.all()) == [point]


def test_shares_must_sum_to_a_hundred(company, other_company, now, team):
    owner, helper = team
    lead = lead_create(
        company=company, data=LeadData(first_name="Jan", last_name="Lis", phone="601 000 001"), now=now
    )
    opportunity = lead_convert(lead=lead, address=ADDRESS, owner=owner, actor=owner, now=now)
    with pytest.raises(ValidationFailed) as failed:
        participants_set(opportunity=opportunity, shares=[Share(owner.pk, "60"), Share(helper.pk, "30")])
    assert failed.value.errors[0].field == "shares" and "90.00" in failed.value.errors[0].message
    stranger = make_staff("stranger", other_company, Role.SALES_MANAGER)
    with pytest.raises(ValidationFailed):
        participants_set(opportunity=opportunity, shares=[Share(owner.pk, "50"), Share(stranger.pk, "50")])
    participants_set(opportunity=opportunity, shares=[Share(owner.pk, "66,67"), Share(helper.pk, "33.33")])
    assert sorted(p.share for p in opportunity.participants.all()) == [Decimal("33.33"), Decimal("66.67")]


def test_stages_and_activities(company, now, team):
    owner, helper = team
    lead = lead_create(
        company=company, data=LeadData(first_name="Ala", last_name="Sowa", phone="601 000 002"), now=now
    )
    opportunity = lead_convert(lead=lead, address=ADDRESS, owner=owner, actor=owner, now=now)
    with pytest.raises(ValidationFailed):
        opportunity_stage_change(opportunity=opportunity, stage=OpportunityStage.LOST)
    opportunity_stage_change(opportunity=opportunity, stage=OpportunityStage.OFFER)
    call = activity_add(
        opportunity=opportunity, kind="call", subject="Oddzwonić", due_at=now + timedelta(hours=2),
        assignee=helper, now=now,
    )  # fmt: skip
    assert list(activities_due(company=company, user=helper, until=now + timedelta(days=1))) == [call]
    activity_done(activity=call, outcome="Umówione spotkanie", now=now)
    assert not activities_due(company=company, user=helper, until=now + timedelta(days=1)).exists()
