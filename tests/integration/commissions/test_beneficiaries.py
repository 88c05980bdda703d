"""Who is paid: only an active agent of an organisation in the contract's organisation tree (the
organisation, its branches, the one above it); the share of anyone else named on the opportunity or the
contract (staff, an agent of another partner, an agent who left) goes to the organisation's own part."""

from __future__ import annotations

import pytest

from kilowatt.channels.models import Agent
from kilowatt.commissions.models import CommissionEntry
from kilowatt.commissions.rules import Beneficiary, beneficiaries_of
from kilowatt.core.models import Role
from tests import factories
from tests.conftest import make_staff
from tests.integration.commissions import builders
from tests.integration.commissions.builders import D

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(company, now):
    """Alpha with its branch, and beta, another partner's tree; 100 PLN a point on signature, agents 80 %."""
    alpha = factories.organisation(company, now, "alpha")
    branch = factories.organisation(company, now, "alpha-krk", parent=alpha)
    beta = factories.organisation(company, now, "beta")
    builders.assign(
        builders.scheme(company, basis="point", stages=(("signed", "100", 0),), rates=[{"rate": "100"}]),
        channel=alpha.channel,
    )
    return {
        "alpha": alpha,
        "branch": branch,
        "anna": factories.agent(alpha, "anna").user,
        "cezary": factories.agent(branch, "cezary").user,
        "olaf": factories.agent(beta, "olaf").user,
        "gone": factories.agent(alpha, "gone").user,
        "kasia": make_staff("kasia", company, Role.SALES_MANAGER),
    }


def _signed(company, now, organisation, participants=(), agent=None):
    sale = builders.sale(
        company, now, builders.prices(company), organisation=organisation, participants=participants,
        agent=agent, annuals=["1000"],
    )  # fmt: skip
    builders.sign(sale, now)
    return dict(
        CommissionEntry.objects.filter(contract=sale.contract).values_list("agent__username", "amount")
    )


def test_participants_outside_the_organisation_tree_are_not_paid(company, now, people):
    Agent.objects.filter(user=people["gone"]).update(is_active=False)
    # The branch's sale shared by anna (alpha, above it), cezary (the branch), olaf (beta), an agent who left
    # and a back-office user: 20 % each of the agents' 80.00. Anna and cezary get 16.00 each; the rest, 48.00,
    # and the own 20.00 are the organisation's.
    participants = [(people[name], "20") for name in ("anna", "cezary", "olaf", "gone", "kasia")]
    assert _signed(company, now, people["branch"], participants) == {
        "anna": D("16.00"),
        "cezary": D("16.00"),
        None: D("68.00"),
    }


def test_a_contract_agent_of_another_partner_is_not_paid(company, now, people):
    assert _signed(company, now, people["alpha"], agent=people["olaf"]) == {None: D("100.00")}
    assert _signed(company, now, people["alpha"], agent=people["anna"]) == {
        "anna": D("80.00"),
        None: D("20.00"),
    }


def test_the_weights_of_those_not_paid_go_to_the_own_part(company, now, people):
    sale = builders.sale(
        company, now, builders.prices(company), organisation=people["alpha"],
        participants=[(people["anna"], "60"), (people["olaf"], "40")],
    )  # fmt: skip
    scheme = builders.scheme(company, code="half", business_share="50", rates=[{"rate": "1"}])
    assert beneficiaries_of(contract=sale.contract, scheme=scheme) == [
        Beneficiary(people["anna"].pk, D("30")),
        Beneficiary(None, D("70")),
    ]
