"""Outgoing HTTP to external services with urllib: HTTPS only (plain HTTP only to this machine's
loopback, for tests and local fakes), no redirects (a redirect would carry a credential to another
address), and environment proxies for the service but never for the loopback."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler, OpenerDirector, ProxyHandler, build_opener


class NoRedirects(HTTPRedirectHandler):
    """Answer a redirect as the error it is instead of following it."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_allowed(url: str) -> tuple[bool, bool]:
    """(allowed, loopback): HTTPS anywhere, plain HTTP only on the loopback."""
    parts = urlsplit(url)
    loopback = is_loopback(parts.hostname or "")
    return parts.scheme == "https" or (parts.scheme == "http" and loopback), loopback


def opener_for(*, loopback: bool, redirects: bool = False) -> OpenerDirector:
    handlers: list[Any] = [ProxyHandler({}) if loopback else ProxyHandler()]
    if not redirects:
        handlers.append(NoRedirects())
    return build_opener(*handlers)
