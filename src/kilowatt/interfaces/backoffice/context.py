from __future__ import annotations


def backoffice(request) -> dict:
    return {
        "current_company": getattr(request, "company", None),
        "user_companies": getattr(request, "companies", []),
        "perms_in_company": getattr(request, "permissions", frozenset()),
    }
