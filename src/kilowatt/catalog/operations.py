"""Use cases of the catalog."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from kilowatt.catalog.models import ReferenceData


@transaction.atomic
def reference_data_confirm(*, rows: Iterable[ReferenceData], user: AbstractBaseUser, now: datetime) -> int:
    """Record that ``user`` checked these reference rows against the published tariff; returns how many.

    Rows already confirmed keep their first confirmation.
    """
    confirmed = 0
    for row in rows:
        if row.confirmed_at is None:
            type(row).objects.filter(pk=row.pk, confirmed_at__isnull=True).update(
                confirmed_at=now, confirmed_by=user
            )
            confirmed += 1
    return confirmed
