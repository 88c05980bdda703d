"""Reads of the core: companies a user may act for, roles, history, dictionaries, tokens."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from kilowatt.core.models import ApiToken, AuditEntry, Company, DictionaryEntry, IdempotencyRecord, Membership
from kilowatt.core.operations import api_key_hash
from kilowatt.core.permissions import permissions_for_roles


def companies_for_user(*, user: User) -> QuerySet[Company]:
    if not user.is_authenticated:
        return Company.objects.none()
    return Company.objects.filter(memberships__user=user, is_active=True).distinct().order_by("name")


def roles_in_company(*, user: User, company: Company) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(Membership.objects.filter(user=user, company=company).values_list("role", flat=True))


def permissions_in_company(*, user: User, company: Company) -> frozenset[str]:
    return permissions_for_roles(roles_in_company(user=user, company=company))


def audit_history(*, company: Company, entity: str, entity_id: int, limit: int = 100) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(company=company, entity=entity, entity_id=entity_id).select_related(
        "actor"
    )[:limit]


def dictionary_entries(
    *, company: Company, dictionary: str, active_only: bool = True
) -> QuerySet[DictionaryEntry]:
    entries = DictionaryEntry.objects.filter(company=company, dictionary=dictionary)
    return entries.filter(is_active=True) if active_only else entries


def api_token_by_key(*, key: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("company")
        .filter(key_hash=api_key_hash(key), revoked_at__isnull=True, company__is_active=True)
        .first()
    )


def idempotency_record(*, company: Company, key: str, endpoint: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(company=company, key=key, endpoint=endpoint).first()
