"""Unread message counts for the menus: ``{% load thread_tags %}``, then
``{% partner_unread_messages as unread %}`` in the partner portal (reads through ``request.scope``) or
``{% staff_unread_messages as unread %}`` in the back office (0 for staff who do not work with threads).
Each is counted once per request, in one query."""

from __future__ import annotations

from django import template

from kilowatt.sales.threads import (
    may_see_threads,
    threads_for_partner,
    threads_for_staff,
    threads_unread_total,
)

register = template.Library()


def partner_unread_count(request) -> int:
    scope = getattr(request, "scope", None)
    if scope is None:
        return 0
    if not hasattr(request, "_partner_unread_messages"):
        request._partner_unread_messages = threads_unread_total(
            threads=threads_for_partner(scope=scope), user=request.user
        )
    return request._partner_unread_messages


def staff_unread_count(request) -> int:
    company = getattr(request, "company", None)
    if company is None or not may_see_threads(getattr(request, "permissions", frozenset())):
        return 0
    if not hasattr(request, "_staff_unread_messages"):
        request._staff_unread_messages = threads_unread_total(
            threads=threads_for_staff(company=company), user=request.user
        )
    return request._staff_unread_messages


@register.simple_tag(takes_context=True)
def partner_unread_messages(context) -> int:
    request = context.get("request")
    return partner_unread_count(request) if request is not None else 0


@register.simple_tag(takes_context=True)
def staff_unread_messages(context) -> int:
    request = context.get("request")
    return staff_unread_count(request) if request is not None else 0
