"""Demo switching: the usual switch process for every DSO the demo company's supply points are connected
to (and the DSOs the demo's new points may be at), for each commodity the DSO distributes, exchanging
files with the local fake DSO. A contract signed in the tour then opens its switch case."""

from __future__ import annotations

from datetime import datetime

from kilowatt.core.models import Company
from kilowatt.interfaces.cli.demo_data import ELECTRICITY_DSOS
from kilowatt.network.models import Commodity, Dso
from kilowatt.switching.models import SwitchProcess
from kilowatt.switching.setup import process_usual_create

DEMO_GAS_DSOS = ["psg"]


def demo_switching_setup(*, company: Company, now: datetime) -> int:
    """Create the missing processes; returns how many were created (0 when all exist)."""
    dso_ids = set(company.supply_points.values_list("dso_id", flat=True))
    dso_ids |= set(Dso.objects.filter(code__in=ELECTRICITY_DSOS + DEMO_GAS_DSOS).values_list("pk", flat=True))
    existing = set(SwitchProcess.objects.filter(company=company).values_list("dso_id", "commodity"))
    created = 0
    for dso in Dso.objects.filter(pk__in=dso_ids).order_by("name"):
        for commodity, served in ((Commodity.ELECTRICITY, dso.electricity), (Commodity.GAS, dso.gas)):
            if served and (dso.pk, commodity) not in existing:
                process_usual_create(company=company, dso=dso, commodity=commodity, exchange="fake")
                created += 1
    return created
