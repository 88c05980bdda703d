"""Load catalog/reference/pl-2026-gas-profiles.json: PSG gas distribution rates, gas conversion factors
and standard load profiles, all as reference rows awaiting a user's confirmation."""

import json
from decimal import Decimal
from pathlib import Path

from django.db import migrations

REFERENCE = Path(__file__).resolve().parent.parent / "reference" / "pl-2026-gas-profiles.json"


def load(apps, schema_editor):
    data = json.loads(REFERENCE.read_text(encoding="utf-8"))
    Dso = apps.get_model("network", "Dso")
    TariffGroup = apps.get_model("network", "TariffGroup")
    DistributionTariff = apps.get_model("catalog", "DistributionTariff")
    DistributionRate = apps.get_model("catalog", "DistributionRate")
    GasConversionFactor = apps.get_model("catalog", "GasConversionFactor")
    LoadProfile = apps.get_model("catalog", "LoadProfile")
    groups = {g.code: g for g in TariffGroup.objects.filter(country="PL")}
    for item in data["gas_distribution_tariffs"]:
        dso = Dso.objects.get(code=item["dso"])
        for group in item["groups"]:
            tariff, created = DistributionTariff.objects.get_or_create(
                dso=dso, tariff_group=groups[group], valid_from=item["valid_from"],
                defaults={"valid_to": item["valid_to"], "name": f"{dso.name} {group} {item['valid_from'][:4]}",
                          "is_reference_data": True, "source": item["source"]},
            )
            if created:
                DistributionRate.objects.bulk_create(
                    DistributionRate(tariff=tariff, component=component, zone=zone, variant=variant, unit=unit,
                                     price=Decimal(price))
                    for component, zone, variant, unit, price in item["rates"]
                )
    for dso_code, factor, valid_from, valid_to, source in data["gas_conversion_factors"]:
        GasConversionFactor.objects.get_or_create(
            dso=Dso.objects.get(code=dso_code), area=None, valid_from=valid_from,
            defaults={"factor": Decimal(factor), "valid_to": valid_to, "is_reference_data": True, "source": source},
        )
    for item in data["load_profiles"]:
        for group in item["groups"]:
            LoadProfile.objects.get_or_create(
                tariff_group=groups[group], valid_from=item["valid_from"],
                defaults={"monthly_shares": item["monthly"], "zone_shares": item["zones"].get(group, {}),
                          "capacity_hours_share": Decimal(item["capacity_hours_share"]),
                          "is_reference_data": True, "source": item["source"]},
            )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_gas_factors_load_profiles"), ("network", "0003_reference_data_pl")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
