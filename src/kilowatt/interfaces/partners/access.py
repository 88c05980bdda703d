"""Who may use the partner portal, and the scope each page reads through."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import render
from django.urls import reverse

from kilowatt.channels.queries import agent_of_user, scope_of_agent


def partner_page(view=None, *, managers_only: bool = False):
    """Login required (the portal's own login page), an active agent of an active organisation; sets
    ``request.agent`` and ``request.scope``. Back-office staff are not agents and are refused."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("partners:login"))
            agent = agent_of_user(user=request.user)
            if agent is None:
                return render(request, "partners/not_an_agent.html", status=403)
            request.agent = agent
            request.scope = scope_of_agent(agent=agent)
            if managers_only and not request.scope.is_manager:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator(view) if view is not None else decorator


def partner_context(request: HttpRequest) -> dict:
    """Template context of every page: the agent, their organisation and whether they manage it."""
    agent = getattr(request, "agent", None)
    if agent is None:
        return {}
    return {
        "agent": agent,
        "organisation": agent.organisation,
        "is_manager": request.scope.is_manager,
    }
