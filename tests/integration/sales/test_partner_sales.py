"""Offers made for a partner organisation's opportunity: only templates of the products the organisation
(or the nearest organisation above it with a configuration) may offer; the company's own opportunities are
not limited."""

from __future__ import annotations

from datetime import date

import pytest

from kilowatt.catalog.models import ProductKind
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Role
from kilowatt.sales.models import Offer, OfferTemplate, Opportunity
from kilowatt.sales.offers import OfferData, offer_create, offer_revise
from tests import factories
from tests.billing_scenarios import HOUSEHOLD, price_list
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 10)
START = date(2026, 4, 1)


@pytest.fixture
def catalogue(company):
    """Two energy products, each with a template and a price list; the second may be marked a service."""
    allowed = price_list(company, code="dom", commodity="electricity", components=HOUSEHOLD)
    other = price_list(company, code="eko", commodity="electricity", components=HOUSEHOLD)
    return {
        "allowed": (
            OfferTemplate.objects.create(company=company, code="dom", name="Dom", product=allowed.product),
            allowed,
        ),
        "other": (
            OfferTemplate.objects.create(company=company, code="eko", name="Eko", product=other.product),
            other,
        ),
    }


def _opportunity(company, now, *, organisation, owner):
    customer = factories.customer(company, now)
    opportunity = Opportunity.objects.create(
        company=company,
        customer=customer,
        name="Jan",
        owner=owner,
        organisation=organisation,
        commodity="electricity",
        created_at=now,
    )
    opportunity.supply_points.set([factories.supply_point(company, customer, now)])
    return opportunity


def _data(template, prices) -> OfferData:
    return OfferData(template_id=template.pk, price_list_id=prices.pk, start_date=START)


def test_an_organisation_offers_only_the_products_it_may(company, now, catalogue):
    partner = factories.organisation(company, now, "alfa", product_kinds=())
    template, prices = catalogue["allowed"]
    partner.products.set([template.product])
    seller = factories.agent(partner, "ola")
    opportunity = _opportunity(company, now, organisation=partner, owner=seller.user)

    other_template, other_prices = catalogue["other"]
    with pytest.raises(ValidationFailed) as refused:
        offer_create(
            opportunity=opportunity,
            data=_data(other_template, other_prices),
            on_date=TODAY,
            actor=None,
            now=now,
        )
    error = refused.value.errors[0]
    assert error.field == "template_id" and error.code == "product_not_allowed"
    assert "Partner alfa may not offer eko" in error.message
    assert not Offer.objects.exists()

    offer = offer_create(
        opportunity=opportunity, data=_data(template, prices), on_date=TODAY, actor=seller.user, now=now
    )
    assert offer.template == template
    with pytest.raises(ValidationFailed) as revised:  # a new version cannot switch to a product not allowed
        offer_revise(
            offer=offer,
            data=OfferData(
                template_id=other_template.pk, price_list_id=other_prices.pk, start_date=START, note="eko"
            ),
            on_date=TODAY,
            actor=seller.user,
            now=now,
        )
    assert revised.value.errors[0].field == "template_id"


def test_a_branch_follows_the_organisation_above_and_kinds_count(company, now, catalogue):
    partner = factories.organisation(company, now, "alfa", product_kinds=(ProductKind.SERVICE,))
    branch = factories.organisation(company, now, "alfa-krakow", parent=partner)
    seller = factories.agent(branch, "ewa")
    opportunity = _opportunity(company, now, organisation=branch, owner=seller.user)
    template, prices = catalogue["allowed"]
    with pytest.raises(ValidationFailed) as refused:  # energy is not a kind the organisation may offer
        offer_create(
            opportunity=opportunity, data=_data(template, prices), on_date=TODAY, actor=None, now=now
        )
    assert refused.value.errors[0].code == "product_not_allowed"

    partner.product_kinds = [ProductKind.ENERGY]
    partner.save(update_fields=["product_kinds"])
    assert offer_create(
        opportunity=opportunity, data=_data(template, prices), on_date=TODAY, actor=None, now=now
    )


def test_the_companys_own_opportunities_are_not_limited(company, now, catalogue):
    factories.organisation(company, now, "alfa", product_kinds=(ProductKind.SERVICE,))
    seller = make_staff("seller", company, Role.SALES_MANAGER)
    opportunity = _opportunity(company, now, organisation=None, owner=seller)
    template, prices = catalogue["other"]
    offer = offer_create(
        opportunity=opportunity, data=_data(template, prices), on_date=TODAY, actor=None, now=now
    )
    assert offer.template == template


def test_a_partners_lead_is_never_converted_to_a_customer_another_channel_serves(company, now):
    from kilowatt.core.models import Role
    from kilowatt.sales.leads import LeadData, lead_create
    from kilowatt.sales.opportunities import lead_convert
    from tests.conftest import make_staff

    alfa = factories.organisation(company, now, "alfa")
    ola = factories.agent(alfa, "ola")
    code = factories.ppe_code()
    # The agent types in a lead with a supply point nobody knows yet ...
    lead = lead_create(
        company=company,
        data=LeadData(last_name="Kowalski", phone="+48600100200", supply_point_code=code),
        now=now,
        agent=ola,
    )
    # ... which is later registered for a customer the company serves (or another channel brought).
    rival = factories.customer(company, now, email="secret@rival.example")
    factories.supply_point(company, rival, now, code=code)
    staff = make_staff("kasia", company, Role.ADMIN)
    with pytest.raises(ValidationFailed) as refused:
        lead_convert(lead=lead, address=factories.address(), owner=staff, actor=staff, now=now)
    assert (
        refused.value.errors[0].code == "outside_channel"
        and "Partner alfa" in refused.value.errors[0].message
    )
    with pytest.raises(ValidationFailed):  # nor when the customer is named
        lead_convert(
            lead=lead, address=factories.address(), owner=staff, customer=rival, actor=staff, now=now
        )
    lead.refresh_from_db()
    assert lead.status == "new" and not lead.opportunities.exists()
