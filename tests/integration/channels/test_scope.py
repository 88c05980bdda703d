"""The scope of a partner user: a manager sees the organisation and every branch below it (at any depth),
a plain agent only their own records; an agent of an inactive organisation (or below one) is nobody;
products are inherited from the nearest organisation above that configures them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from kilowatt.catalog.models import Product
from kilowatt.channels.models import Organisation
from kilowatt.channels.operations import agent_add
from kilowatt.channels.queries import (
    agent_of_user,
    agents_in_scope,
    organisation_subtree,
    products_allowed,
    scope_of_agent,
)
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Role
from kilowatt.sales.models import Lead
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(company, now):
    alfa = factories.organisation(company, now, "alfa")
    krakow = factories.organisation(company, now, "krakow", parent=alfa)
    nowa_huta = factories.organisation(company, now, "nowa-huta", parent=krakow)
    beta = factories.organisation(company, now, "beta")
    return alfa, krakow, nowa_huta, beta


def test_a_manager_sees_the_whole_subtree_a_plain_agent_only_their_own(company, now, tree):
    alfa, krakow, nowa_huta, beta = tree
    assert set(organisation_subtree(organisation=krakow)) == {krakow, nowa_huta}
    manager, plain = factories.agent(krakow, "kuba", role="manager"), factories.agent(krakow, "olek")
    boss = factories.agent(alfa, "marta", role="manager")
    assert scope_of_agent(agent=boss).organisation_ids == {alfa.pk, krakow.pk, nowa_huta.pk}
    scope = scope_of_agent(agent=manager)
    assert (scope.organisation_ids, scope.is_manager) == ({krakow.pk, nowa_huta.pk}, True)
    own = scope_of_agent(agent=plain)
    assert (own.organisation_ids, own.agent_user_id, own.is_manager) == ({krakow.pk}, plain.user_id, False)

    def lead(organisation, agent=None):
        return Lead.objects.create(
            company=company, first_name="Jan", last_name="Nowak", organisation=organisation,
            agent=agent.user if agent else None, created_at=now,
        )  # fmt: skip

    mine, colleague, deeper, elsewhere = (
        lead(krakow, plain),
        lead(krakow, manager),
        lead(nowa_huta),
        lead(beta),
    )
    visible = Lead.objects.filter(own.records())
    assert list(visible) == [mine]
    assert set(Lead.objects.filter(scope.records())) == {mine, colleague, deeper}
    assert elsewhere not in Lead.objects.filter(scope_of_agent(agent=boss).records())
    assert set(agents_in_scope(scope=own)) == {plain}
    assert set(agents_in_scope(scope=scope)) == {plain, manager}


def test_an_agent_below_an_inactive_organisation_is_nobody(company, now, tree):
    alfa, krakow, nowa_huta, _beta = tree
    olek = factories.agent(nowa_huta, "olek")
    assert agent_of_user(user=olek.user) == olek
    Organisation.objects.filter(pk=alfa.pk).update(is_active=False)
    assert agent_of_user(user=olek.user) is None
    Organisation.objects.filter(pk=alfa.pk).update(is_active=True)
    olek.is_active = False
    olek.save()
    assert agent_of_user(user=olek.user) is None
    staff = make_staff("anna", company, Role.BACK_OFFICE)
    assert agent_of_user(user=staff) is None
    with pytest.raises(ValidationFailed) as refused:
        agent_add(organisation=krakow, user=staff, code="ANNA")
    assert "back office" in refused.value.message
    person = get_user_model().objects.create_user("ewa")
    agent_add(organisation=krakow, user=person, code="EWA")
    with pytest.raises(ValidationFailed) as twice:
        agent_add(organisation=alfa, user=person, code="EWA")
    assert twice.value.code == "duplicate"


def test_products_come_from_the_nearest_organisation_that_configures_them(company, now, tree):
    alfa, krakow, nowa_huta, _beta = tree
    energy = Product.objects.create(company=company, code="prad", name="Prąd", commodity="electricity")
    service = Product.objects.create(company=company, code="serwis", name="Serwis", kind="service")
    assert set(products_allowed(organisation=nowa_huta)) == {energy}  # alfa's kinds: energy
    krakow.products.set([service])
    assert set(products_allowed(organisation=nowa_huta)) == {service}
    assert set(products_allowed(organisation=alfa)) == {energy}
