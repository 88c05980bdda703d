"""The customer 360° page is a list of panels; modules register theirs here without editing the page.

A panel has a key, a title, an order, a template and a function giving its context for one customer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.functional import Promise

ContextFn = Callable[[HttpRequest, Any], dict]


@dataclass(frozen=True)
class Panel:
    key: str
    title: str | Promise
    order: int
    template: str
    context: ContextFn
    permission: str


_panels: dict[str, Panel] = {}


def panel_register(
    *, key: str, title: str | Promise, order: int, template: str, context: ContextFn, permission: str
) -> None:
    _panels[key] = Panel(
        key=key, title=title, order=order, template=template, context=context, permission=permission
    )


def panels_for(request: HttpRequest) -> list[Panel]:
    return sorted((p for p in _panels.values() if p.permission in request.permissions), key=lambda p: p.order)
