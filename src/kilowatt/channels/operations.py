"""Writes of the channels: organisations in their hierarchy and the agents selling for them."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from kilowatt.channels.models import PRODUCT_KIND_VALUES, Agent, AgentRole, Organisation, SalesChannel
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Company, Membership


@transaction.atomic
def organisation_create(
    *,
    company: Company,
    channel: SalesChannel,
    code: str,
    name: str,
    parent: Organisation | None = None,
    nip: str = "",
    email: str = "",
    bank_account: str = "",
    product_kinds: list[str] | None = None,
    now: datetime,
) -> Organisation:
    """A partner organisation, or a branch of ``parent`` (in the same channel and company)."""
    if channel.company_id != company.pk:
        raise ValidationFailed.single("channel", _("Sales channel not found."), code="not_found")
    if parent is not None and (parent.company_id != company.pk or parent.channel_id != channel.pk):
        raise ValidationFailed.single("parent", _("A branch belongs to an organisation of the same channel."))
    kinds = list(product_kinds or [])
    unknown = sorted(set(kinds) - PRODUCT_KIND_VALUES)
    if unknown:
        raise ValidationFailed.single(
            "product_kinds", _("Unknown product kind: %(kinds)s.") % {"kinds": ", ".join(unknown)}
        )
    if Organisation.objects.filter(company=company, code=code).exists():
        raise ValidationFailed.single("code", _("This code is already used."), code="duplicate")
    organisation = Organisation.objects.create(
        company=company,
        channel=channel,
        parent=parent,
        code=code,
        name=name,
        nip=nip,
        email=email,
        bank_account=bank_account,
        product_kinds=kinds,
        path="",
        created_at=now,
    )
    organisation.path = f"{parent.path if parent else '/'}{organisation.pk}/"
    organisation.save(update_fields=["path"])
    return organisation


def organisation_path_refresh(*, organisation: Organisation) -> None:
    """Recompute the path of an organisation (and its branches) after its parent was changed in admin."""
    parent_path = organisation.parent.path if organisation.parent_id else "/"
    if organisation.parent_id and f"/{organisation.pk}/" in parent_path:
        raise ValidationFailed.single("parent", _("An organisation cannot be a branch of its own branch."))
    old = organisation.path
    new = f"{parent_path}{organisation.pk}/"
    if old == new:
        return
    organisation.path = new
    organisation.save(update_fields=["path"])
    if old:
        for branch in Organisation.objects.filter(path__startswith=old).exclude(pk=organisation.pk):
            branch.path = new + branch.path[len(old) :]
            branch.save(update_fields=["path"])


def agent_add(
    *,
    organisation: Organisation,
    user: AbstractBaseUser,
    code: str,
    role: str = AgentRole.AGENT,
    phone: str = "",
) -> Agent:
    """Make a user an agent of an organisation. Company staff cannot also be agents: the back office
    would otherwise show them data outside their organisation."""
    if Membership.objects.filter(user_id=user.pk).exists():
        raise ValidationFailed.single(
            "user", _("This person works in the back office and cannot be an agent.")
        )
    if Agent.objects.filter(user_id=user.pk).exists():
        raise ValidationFailed.single("user", _("This person is already an agent."), code="duplicate")
    if role not in AgentRole.values:
        raise ValidationFailed.single("role", _("Unknown role."))
    return Agent.objects.create(organisation=organisation, user=user, code=code, role=role, phone=phone)
