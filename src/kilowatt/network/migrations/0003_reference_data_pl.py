"""Polish reference data: DSOs with their GS1 prefixes, tariff groups and consumption bands.

Shipped as data so a user can correct it without a release (see DOMAIN.md).
"""

from django.db import migrations

DSOS = [
    # code, name, electricity, gas, GS1 prefix of its supply point codes
    ("pge-dystrybucja", "PGE Dystrybucja S.A.", True, False, "5905435"),
    ("tauron-dystrybucja", "TAURON Dystrybucja S.A.", True, False, "5903224"),
    ("enea-operator", "Enea Operator Sp. z o.o.", True, False, "5903106"),
    ("energa-operator", "Energa-Operator S.A.", True, False, "5902438"),
    ("stoen-operator", "Stoen Operator Sp. z o.o.", True, False, "5903801"),
    ("pge-energetyka-kolejowa", "PGE Energetyka Kolejowa S.A.", True, False, "5905088"),
    ("psg", "Polska Spółka Gazownictwa Sp. z o.o.", False, True, ""),
]

ELECTRICITY_GROUPS = [
    ("G11", ["all"], True, "Gospodarstwa domowe, jednostrefowa"),
    ("G12", ["peak", "offpeak"], True, "Gospodarstwa domowe, dwustrefowa (dzień/noc)"),
    ("G12w", ["peak", "offpeak"], True, "Gospodarstwa domowe, dwustrefowa z weekendami"),
    ("G12r", ["peak", "offpeak"], True, "Gospodarstwa domowe, dwustrefowa (ogrzewanie)"),
    ("G13", ["peak_morning", "peak_afternoon", "offpeak"], True, "Gospodarstwa domowe, trójstrefowa"),
    ("C11", ["all"], False, "Biznes nN ≤ 40 kW, jednostrefowa"),
    ("C12a", ["peak", "offpeak"], False, "Biznes nN ≤ 40 kW, szczyt/pozaszczyt"),
    ("C12b", ["peak", "offpeak"], False, "Biznes nN ≤ 40 kW, dzień/noc"),
    ("C21", ["all"], False, "Biznes nN > 40 kW, jednostrefowa"),
    ("C22a", ["peak", "offpeak"], False, "Biznes nN > 40 kW, szczyt/pozaszczyt"),
    ("C22b", ["peak", "offpeak"], False, "Biznes nN > 40 kW, dzień/noc"),
    ("B21", ["all"], False, "Średnie napięcie, jednostrefowa"),
    ("B23", ["peak_morning", "peak_afternoon", "offpeak"], False, "Średnie napięcie, trójstrefowa"),
]

GAS_GROUPS = [
    ("W-1.1", True, "≤ 3 350 kWh/rok, odczyt raz w roku"),
    ("W-1.12T", True, "≤ 3 350 kWh/rok, odczyt miesięczny"),
    ("W-2.1", True, "3 350–13 350 kWh/rok"),
    ("W-3.6", True, "13 350–88 900 kWh/rok"),
    ("W-4", False, "> 88 900 kWh/rok"),
]

# code, commodity, households only, lower kWh, upper kWh, valid from, valid to, label
BANDS = [
    ("capacity-lt500", "electricity", True, 0, 500, "2025-01-01", None, "< 500 kWh"),
    ("capacity-500-1200", "electricity", True, 500, 1200, "2025-01-01", None, "500–1200 kWh"),
    ("capacity-1200-2800", "electricity", True, 1200, 2800, "2025-01-01", None, "1200–2800 kWh"),
    ("capacity-gt2800", "electricity", True, 2800, None, "2025-01-01", None, "> 2800 kWh"),
    ("gas-W1", "gas", False, 0, 3350, "2025-01-01", None, "W-1 (≤ 3 350 kWh)"),
    ("gas-W2", "gas", False, 3350, 13350, "2025-01-01", None, "W-2 (3 350–13 350 kWh)"),
    ("gas-W3", "gas", False, 13350, 88900, "2025-01-01", None, "W-3 (13 350–88 900 kWh)"),
    ("gas-W4", "gas", False, 88900, None, "2025-01-01", None, "W-4 (> 88 900 kWh)"),
]


def load(apps, schema_editor):
    Dso = apps.get_model("network", "Dso")
    TariffGroup = apps.get_model("network", "TariffGroup")
    ConsumptionBand = apps.get_model("network", "ConsumptionBand")
    for code, name, electricity, gas, prefix in DSOS:
        Dso.objects.update_or_create(
            code=code,
            defaults={"name": name, "electricity": electricity, "gas": gas, "gs1_prefix": prefix,
                      "country": "PL", "is_reference_data": True},
        )
    for code, zones, household, description in ELECTRICITY_GROUPS:
        TariffGroup.objects.update_or_create(
            country="PL", commodity="electricity", code=code,
            defaults={"zones": zones, "is_household": household, "description": description},
        )
    for code, household, description in GAS_GROUPS:
        TariffGroup.objects.update_or_create(
            country="PL", commodity="gas", code=code,
            defaults={"zones": ["all"], "is_household": household, "description": description},
        )
    for code, commodity, households_only, lower, upper, valid_from, valid_to, label in BANDS:
        ConsumptionBand.objects.update_or_create(
            country="PL", commodity=commodity, code=code, valid_from=valid_from,
            defaults={"households_only": households_only, "lower_kwh": lower, "upper_kwh": upper,
                      "valid_to": valid_to, "label": label},
        )


class Migration(migrations.Migration):
    dependencies = [("network", "0002_code_prefix_index")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
