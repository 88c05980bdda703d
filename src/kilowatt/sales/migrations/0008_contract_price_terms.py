"""Every contract recorded before dated price terms gets its first term: its product and price list over
[start_date, end_date). Contracts that already have a term are left alone, so running it twice changes
nothing."""

from django.db import migrations

BATCH = 2000


def first_terms(apps, schema_editor):
    Contract = apps.get_model("sales", "Contract")
    ContractPriceTerm = apps.get_model("sales", "ContractPriceTerm")
    contracts = (
        Contract.objects.filter(price_terms__isnull=True)
        .values_list("pk", "product_id", "price_list_id", "start_date", "end_date")
        .order_by("pk")
    )
    ContractPriceTerm.objects.bulk_create(
        (
            ContractPriceTerm(
                contract_id=pk,
                product_id=product_id,
                price_list_id=price_list_id,
                valid_from=start,
                valid_to=end,
            )
            for pk, product_id, price_list_id, start, end in list(contracts)
        ),
        batch_size=BATCH,
    )


def no_terms(apps, schema_editor):
    """Going back removes only terms without an annex (the first terms this migration made)."""
    apps.get_model("sales", "ContractPriceTerm").objects.filter(annex__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("sales", "0007_offer_template_contract_kind")]

    operations = [migrations.RunPython(first_terms, no_terms)]
