"""Reads of metering: a supply point's registers and reads."""

from __future__ import annotations

from django.db.models import QuerySet

from kilowatt.metering.models import MeterRead
from kilowatt.network.models import MeterRegister, SupplyPoint


def registers_of_supply_point(*, supply_point: SupplyPoint) -> QuerySet[MeterRegister]:
    """Registers of every meter ever installed at the point (a removal read may still be due)."""
    return MeterRegister.objects.filter(meter__installations__supply_point=supply_point).distinct()


def reads_of_supply_point(*, supply_point: SupplyPoint) -> QuerySet[MeterRead]:
    """Newest first, with their registers, findings and corrections."""
    return (
        MeterRead.objects.filter(supply_point=supply_point)
        .select_related("register__meter", "superseded_by")
        .prefetch_related("findings")
        .order_by("-read_on", "-id")
    )
