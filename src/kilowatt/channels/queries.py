"""Reads of the channels: who a partner user is, and the scope of data they may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from kilowatt.catalog.models import Product
from kilowatt.channels.models import Agent, AgentRole, Organisation


@dataclass(frozen=True)
class PartnerScope:
    """What a partner user may see: records of ``organisation_ids``; a plain agent only the records
    they own (``agent_user_id``). Every partner read filters through one of these."""

    company_id: int
    organisation_id: int
    organisation_ids: frozenset[int]
    agent_user_id: int | None

    @property
    def is_manager(self) -> bool:
        return self.agent_user_id is None

    def records(self, *, organisation_field: str = "organisation", agent_field: str | None = "agent") -> Q:
        """A filter for records carrying an organisation (and an agent) under these names."""
        condition = Q(**{f"{organisation_field}_id__in": self.organisation_ids})
        if self.agent_user_id is not None and agent_field is not None:
            condition &= Q(**{f"{agent_field}_id": self.agent_user_id})
        return condition


def agent_of_user(*, user: AbstractBaseUser) -> Agent | None:
    """The active agent record of a user whose organisation (and every one above it) is active."""
    if not user.is_authenticated:
        return None
    agent = (
        Agent.objects.select_related("organisation", "organisation__company", "organisation__channel")
        .filter(user=user, is_active=True, organisation__company__is_active=True)
        .first()
    )
    if agent is None:
        return None
    chain = _ancestor_ids(agent.organisation)
    if Organisation.objects.filter(pk__in=chain, is_active=False).exists():
        return None
    return agent


def _ancestor_ids(organisation: Organisation) -> list[int]:
    return [int(part) for part in organisation.path.strip("/").split("/") if part]


def organisation_subtree(*, organisation: Organisation) -> QuerySet[Organisation]:
    """The organisation and every branch below it."""
    return Organisation.objects.filter(company_id=organisation.company_id, path__startswith=organisation.path)


def scope_of_agent(*, agent: Agent) -> PartnerScope:
    organisation = agent.organisation
    if agent.role == AgentRole.MANAGER:
        ids = frozenset(organisation_subtree(organisation=organisation).values_list("pk", flat=True))
        return PartnerScope(organisation.company_id, organisation.pk, ids, None)
    return PartnerScope(organisation.company_id, organisation.pk, frozenset({organisation.pk}), agent.user_id)


def agents_in_scope(*, scope: PartnerScope) -> QuerySet[Agent]:
    agents = Agent.objects.filter(organisation_id__in=scope.organisation_ids).select_related(
        "user", "organisation"
    )
    if scope.agent_user_id is not None:
        agents = agents.filter(user_id=scope.agent_user_id)
    return agents


def products_allowed(*, organisation: Organisation) -> QuerySet[Product]:
    """Products this organisation may offer: its own configuration, else the nearest one above it that
    has one; an organisation with none anywhere up its chain may offer nothing."""
    chain = {o.pk: o for o in Organisation.objects.filter(pk__in=_ancestor_ids(organisation))}
    for organisation_id in reversed(_ancestor_ids(organisation)):
        holder = chain.get(organisation_id)
        if holder is None:
            continue
        product_ids = list(holder.products.values_list("pk", flat=True))
        if product_ids or holder.product_kinds:
            return Product.objects.filter(company_id=holder.company_id, is_active=True).filter(
                Q(pk__in=product_ids) | Q(kind__in=holder.product_kinds)
            )
    return Product.objects.none()
