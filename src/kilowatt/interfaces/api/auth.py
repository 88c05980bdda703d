"""API authentication: integration tokens (Bearer) or a staff session; both act for one company."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

from kilowatt.core.clock import system_clock
from kilowatt.core.models import ApiToken, Company
from kilowatt.core.permissions import permissions_for_scopes
from kilowatt.core.queries import api_token_by_key


@dataclass(frozen=True)
class Actor:
    company: Company
    permissions: frozenset[str]
    user: object | None
    token: ApiToken | None = None


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        api_token = api_token_by_key(key=token)
        if api_token is None:
            return None
        now = system_clock.now()
        if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.actor = Actor(
            company=api_token.company,
            permissions=permissions_for_scopes(api_token.scopes),
            user=None,
            token=api_token,
        )
        return request.actor


class StaffSessionAuth(SessionAuth):
    """A logged-in staff member acting for the company chosen in the back office.

    ninja's SessionAuth checks the CSRF token of unsafe methods before this runs.
    """

    def authenticate(self, request: HttpRequest, key):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or getattr(request, "company", None) is None:
            return None
        request.actor = Actor(company=request.company, permissions=request.permissions, user=user)
        return request.actor
