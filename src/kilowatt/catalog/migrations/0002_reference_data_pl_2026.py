"""Load the shipped 2026 reference data (catalog/reference/pl-2026.json): DSO tariffs, national rates,
time-zone schedules. Every row is marked as reference data awaiting a user's confirmation."""

import json
from decimal import Decimal
from pathlib import Path

from django.db import migrations

REFERENCE = Path(__file__).resolve().parent.parent / "reference" / "pl-2026.json"


def load(apps, schema_editor):
    data = json.loads(REFERENCE.read_text(encoding="utf-8"))
    Dso = apps.get_model("network", "Dso")
    TariffGroup = apps.get_model("network", "TariffGroup")
    DistributionTariff = apps.get_model("catalog", "DistributionTariff")
    DistributionRate = apps.get_model("catalog", "DistributionRate")
    NationalRate = apps.get_model("catalog", "NationalRate")
    TimeZoneSchedule = apps.get_model("catalog", "TimeZoneSchedule")
    TimeZoneRule = apps.get_model("catalog", "TimeZoneRule")
    groups = {g.code: g for g in TariffGroup.objects.filter(country="PL", commodity="electricity")}
    for item in data["distribution_tariffs"]:
        dso = Dso.objects.get(code=item["dso"])
        tariff, created = DistributionTariff.objects.get_or_create(
            dso=dso, tariff_group=groups[item["group"]], valid_from=item["valid_from"],
            defaults={"valid_to": item["valid_to"], "name": f"{dso.name} {item['group']} {item['valid_from'][:4]}",
                      "is_reference_data": True, "source": item["source"]},
        )
        if created:
            DistributionRate.objects.bulk_create(
                DistributionRate(tariff=tariff, component=component, zone=zone, variant=variant, unit=unit,
                                 price=Decimal(price))
                for component, zone, variant, unit, price in item["rates"]
            )
    for kind, band, unit, price, valid_from, valid_to, source in data["national_rates"]:
        NationalRate.objects.get_or_create(
            country="PL", commodity="electricity", kind=kind, band=band, valid_from=valid_from,
            defaults={"unit": unit, "price": Decimal(price), "valid_to": valid_to, "is_reference_data": True,
                      "source": source},
        )
    for item in data["time_zone_schedules"]:
        for dso_code in item["dsos"]:
            schedule, created = TimeZoneSchedule.objects.get_or_create(
                dso=Dso.objects.get(code=dso_code), tariff_group=groups[item["group"]], valid_from=item["valid_from"],
                defaults={"is_reference_data": True, "source": item["source"]},
            )
            if created:
                TimeZoneRule.objects.bulk_create(
                    TimeZoneRule(schedule=schedule, zone=zone, day_type=day_type, start_hour=start, end_hour=end)
                    for zone, day_type, start, end in item["rules"]
                )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial"), ("network", "0003_reference_data_pl")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
