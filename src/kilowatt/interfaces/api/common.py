"""Helpers shared by the routers: permissions, pagination, idempotent creates."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Schema

from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError, PermissionDenied
from kilowatt.core.operations import idempotency_store
from kilowatt.core.queries import idempotency_record

MAX_PAGE_SIZE = 200


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"


def require(request: HttpRequest, permission: str) -> None:
    if permission not in request.actor.permissions:
        raise PermissionDenied(_("You are not allowed to do this."))


class Page(Schema):
    count: int
    page: int
    page_size: int
    next_page: int | None


def paginate(queryset: QuerySet, *, page: int, page_size: int) -> tuple[list, dict]:
    page = max(page, 1)
    page_size = min(max(page_size, 1), MAX_PAGE_SIZE)
    count = queryset.count()
    offset = (page - 1) * page_size
    items = list(queryset[offset : offset + page_size])
    next_page = page + 1 if offset + page_size < count else None
    return items, {"count": count, "page": page, "page_size": page_size, "next_page": next_page}


def idempotent_create(
    request: HttpRequest, *, endpoint: str, payload: Any, schema: type[Schema], create: Callable[[], Any]
):
    """Create once per Idempotency-Key (answer 201); a repeat returns the stored answer unchanged."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return JsonResponse(schema.model_validate(create()).model_dump(mode="json"), status=201)
    company = request.actor.company
    body_hash = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    stored = idempotency_record(company=company, key=key, endpoint=endpoint)
    if stored is None:
        try:
            with transaction.atomic():
                created = create()
                body = schema.model_validate(created).model_dump(mode="json")
                idempotency_store(
                    company=company,
                    key=key,
                    endpoint=endpoint,
                    request_hash=body_hash,
                    status_code=201,
                    response_body=body,
                    now=system_clock.now(),
                )
                return JsonResponse(body, status=201)
        except IntegrityError:
            stored = idempotency_record(company=company, key=key, endpoint=endpoint)
            if stored is None:
                raise
    if stored.request_hash != body_hash:
        raise IdempotencyKeyReused(
            _("This Idempotency-Key was used with another request body."), field="Idempotency-Key"
        )
    return JsonResponse(stored.response_body, status=stored.status_code)
