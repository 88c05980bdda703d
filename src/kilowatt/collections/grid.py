"""Orders to the DSO to stop or restore supply, behind an adapter.

The real exchange with DSOs (files per DSO, CSIRE messages) belongs to the switching module's DSO
adapters; until a company configures one, the local fake accepts every order and gives it a reference,
as a DSO's confirmation would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from django.conf import settings

from kilowatt.collections.models import GridOrder, OrderStatus


class GridOrderChannel(Protocol):
    def send(self, *, order: GridOrder) -> str:
        """Hand the order to the DSO; returns the DSO's reference."""


class FakeDsoOrders:
    """Accepts every order with a reference like a DSO's, and carries it out the same day."""

    carries_out_at_once = True

    def send(self, *, order: GridOrder) -> str:
        prefix = "WYL" if order.kind == "disconnection" else "ZAL"
        return f"FAKE-{prefix}-{order.pk:08d}"


def grid_order_channel() -> GridOrderChannel:
    kind = getattr(settings, "DSO_ORDERS_BACKEND", "fake")
    if kind == "fake":
        return FakeDsoOrders()
    raise RuntimeError(
        f"DSO_ORDERS_BACKEND={kind!r} is not available; use 'fake' until a DSO adapter is set up"
    )


def grid_orders_send(*, orders: Sequence[GridOrder]) -> None:
    channel = grid_order_channel()
    at_once = getattr(channel, "carries_out_at_once", False)
    for order in orders:
        order.dso_reference = channel.send(order=order)
        if at_once:
            order.status, order.done_on = OrderStatus.DONE, order.ordered_on
    GridOrder.objects.bulk_update(list(orders), ["dso_reference", "status", "done_on"])
