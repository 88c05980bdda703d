"""Reference data of the network for superusers."""

from django.contrib import admin

from kilowatt.network import models


@admin.register(models.Dso)
class DsoAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "country", "electricity", "gas", "gs1_prefix"]


@admin.register(models.TariffGroup)
class TariffGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "country", "commodity", "is_household", "zones"]
    list_filter = ["country", "commodity"]


@admin.register(models.ConsumptionBand)
class ConsumptionBandAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "commodity",
        "lower_kwh",
        "upper_kwh",
        "valid_from",
        "valid_to",
        "households_only",
    ]


admin.site.register(models.DistributionArea)
