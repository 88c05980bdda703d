from __future__ import annotations

from django.http import HttpRequest


def home_panels(request: HttpRequest) -> list[dict]:
    """Panels this part adds to the portal's home page: dicts with ``template`` and its context."""
    return []
