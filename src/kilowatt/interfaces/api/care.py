"""Customer care over the API: the phone system's caller look-up."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["care"])
