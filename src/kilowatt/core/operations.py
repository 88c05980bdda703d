"""Writes of the core: audit history, outbox events, dictionaries, API tokens, idempotency."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils.translation import gettext as _

from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import (
    ApiToken,
    AuditEntry,
    Company,
    DictionaryEntry,
    IdempotencyRecord,
    OutboxEvent,
)
from kilowatt.core.permissions import TOKEN_SCOPES


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def model_snapshot(instance: models.Model, *, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of a record, as JSON-friendly values (FKs by id)."""
    names = fields or [f.attname for f in instance._meta.concrete_fields if f.name != "id"]
    return {name: _jsonable(getattr(instance, name)) for name in names}


def audit_record(
    *,
    company: Company,
    instance: models.Model,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    actor: User | None,
    at: datetime,
) -> AuditEntry | None:
    """Append the difference between two snapshots to the record's history (nothing if no change)."""
    before = before or {}
    after = after or {}
    changes = {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
    if action == AuditEntry.Action.UPDATED and not changes:
        return None
    return AuditEntry.objects.create(
        company=company,
        entity=instance._meta.label_lower,
        entity_id=instance.pk,
        action=action,
        changes=changes,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=str(actor) if actor is not None else "system",
        at=at,
    )


def event_record(
    *, company: Company, name: str, payload: dict[str, Any], occurred_at: datetime
) -> OutboxEvent:
    """Record a domain event in the caller's transaction; subscribers see it after commit."""
    return OutboxEvent.objects.create(
        company=company,
        name=name,
        payload={k: _jsonable(v) for k, v in payload.items()},
        occurred_at=occurred_at,
    )


Subscriber = Callable[[OutboxEvent], None]
_subscribers: dict[str, list[Subscriber]] = {}


def event_subscribe(name: str, handler: Subscriber) -> None:
    """Register a handler for events called ``name`` (higher packages subscribe at app start)."""
    handlers = _subscribers.setdefault(name, [])
    if handler not in handlers:
        handlers.append(handler)


def outbox_dispatch(*, now: datetime, limit: int = 500) -> int:
    """Hand pending events to their subscribers, oldest first; a failing handler is retried later."""
    dispatched = 0
    with transaction.atomic():
        pending = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True)
            .order_by("id")[:limit]
        )
        for event in pending:
            try:
                with transaction.atomic():
                    for handler in _subscribers.get(event.name, []):
                        handler(event)
            except Exception as exc:  # noqa: BLE001 - any handler failure is stored and retried
                event.attempts += 1
                event.last_error = repr(exc)[:2000]
                event.save(update_fields=["attempts", "last_error"])
                continue
            event.dispatched_at = now
            event.attempts += 1
            event.save(update_fields=["dispatched_at", "attempts"])
            dispatched += 1
    return dispatched


def dictionary_entry_add(
    *, company: Company, dictionary: str, code: str, label_pl: str, label_en: str, position: int = 0
) -> DictionaryEntry:
    if DictionaryEntry.objects.filter(company=company, dictionary=dictionary, code=code).exists():
        raise ValidationFailed.single("code", _("This code is already in the list."), code="duplicate")
    return DictionaryEntry.objects.create(
        company=company,
        dictionary=dictionary,
        code=code,
        label_pl=label_pl,
        label_en=label_en,
        position=position,
    )


def api_token_create(
    *, company: Company, name: str, scopes: list[str], created_by: User | None, now: datetime
) -> tuple[ApiToken, str]:
    """Create a token and return it with its plain key, which is never stored nor shown again."""
    unknown = [s for s in scopes if s not in TOKEN_SCOPES]
    if unknown:
        raise ValidationFailed.single("scopes", _("Unknown scope: %(scope)s") % {"scope": unknown[0]})
    prefix = secrets.token_hex(4)
    key = f"kw_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        company=company,
        name=name,
        prefix=prefix,
        key_hash=api_key_hash(key),
        scopes=scopes,
        created_by=created_by,
        created_at=now,
    )
    return token, key


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_revoke(*, token: ApiToken, now: datetime) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)


def idempotency_store(
    *,
    company: Company,
    key: str,
    endpoint: str,
    request_hash: str,
    status_code: int,
    response_body: Any,
    now: datetime,
) -> None:
    IdempotencyRecord.objects.create(
        company=company,
        key=key,
        endpoint=endpoint,
        request_hash=request_hash,
        status_code=status_code,
        response_body=response_body,
        created_at=now,
    )
