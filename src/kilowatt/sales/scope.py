"""Sales records as a partner user may see them: every read of the partner portal (and of a token bound to
an organisation) goes through these, so an organisation never sees another's leads, customers, offers or
contracts, and a plain agent sees only their own."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from kilowatt.channels.models import Organisation
from kilowatt.channels.queries import PartnerScope
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Customer
from kilowatt.sales.models import Contract, Lead, Offer, Opportunity


def leads_in_scope(*, scope: PartnerScope) -> QuerySet[Lead]:
    return Lead.objects.filter(company_id=scope.company_id).filter(scope.records())


def opportunities_in_scope(*, scope: PartnerScope) -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(company_id=scope.company_id).filter(scope.records(agent_field="owner"))


def offers_in_scope(*, scope: PartnerScope) -> QuerySet[Offer]:
    return Offer.objects.filter(company_id=scope.company_id).filter(
        scope.records(organisation_field="opportunity__organisation", agent_field="opportunity__owner")
    )


def contracts_in_scope(*, scope: PartnerScope) -> QuerySet[Contract]:
    return Contract.objects.filter(company_id=scope.company_id).filter(scope.records())


def customers_in_scope(*, scope: PartnerScope) -> QuerySet[Customer]:
    """Customers the scope brought in: those of its opportunities or contracts."""
    opportunities = opportunities_in_scope(scope=scope).values("customer_id")
    contracts = contracts_in_scope(scope=scope).values("customer_id")
    return Customer.objects.filter(company_id=scope.company_id).filter(
        Q(pk__in=opportunities) | Q(pk__in=contracts)
    )


def supply_points_in_scope(*, scope: PartnerScope) -> QuerySet[SupplyPoint]:
    """Supply points the scope works with: those of its opportunities and contracts (a customer may also
    have points another channel sold, which stay out of sight)."""
    opportunities = opportunities_in_scope(scope=scope).values("supply_points")
    contracts = contracts_in_scope(scope=scope).values("supply_point_links__supply_point")
    return SupplyPoint.objects.filter(company_id=scope.company_id).filter(
        Q(pk__in=opportunities) | Q(pk__in=contracts)
    )


def customer_brought_by(*, customer: Customer, organisation: Organisation) -> bool:
    """Whether the organisation (or one of its branches) already sells to this customer."""
    subtree = Organisation.objects.filter(
        company_id=organisation.company_id, path__startswith=organisation.path
    )
    return (
        Opportunity.objects.filter(customer=customer, organisation__in=subtree).exists()
        or Contract.objects.filter(customer=customer, organisation__in=subtree).exists()
    )
