"""Resolve the company a staff user is acting for (chosen with the company switcher)."""

from __future__ import annotations

from kilowatt.core.queries import companies_for_user, permissions_in_company

SESSION_KEY = "kilowatt_company_id"


class CurrentCompanyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.company = None
        request.permissions = frozenset()
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            companies = list(companies_for_user(user=user))
            request.companies = companies
            chosen = request.session.get(SESSION_KEY)
            company = next((c for c in companies if c.pk == chosen), companies[0] if companies else None)
            if company is not None:
                request.company = company
                request.permissions = permissions_in_company(user=user, company=company)
        return self.get_response(request)
