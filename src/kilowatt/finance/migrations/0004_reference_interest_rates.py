"""Load finance/reference/pl-interest-rates.json: the statutory interest table of Poland."""

import json
from decimal import Decimal
from pathlib import Path

from django.db import migrations

REFERENCE = Path(__file__).resolve().parent.parent / "reference" / "pl-interest-rates.json"


def load(apps, schema_editor):
    rate_model = apps.get_model("finance", "StatutoryInterestRate")
    for kind, valid_from, rate, source in json.loads(REFERENCE.read_text(encoding="utf-8"))["rates"]:
        rate_model.objects.get_or_create(
            country="PL", kind=kind, valid_from=valid_from, defaults={"rate": Decimal(rate), "source": source}
        )


class Migration(migrations.Migration):
    dependencies = [("finance", "0003_ledger_kinds_interest_refunds_journal")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
