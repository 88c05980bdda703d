"""Configuration of the catalog for superusers (staff use the back office)."""

from django.contrib import admin

from kilowatt.catalog import models


class PriceComponentInline(admin.TabularInline):
    model = models.PriceComponent
    extra = 0


@admin.register(models.Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "company", "commodity", "kind", "pricing", "is_active"]
    list_filter = ["company", "commodity", "pricing"]


@admin.register(models.PriceList)
class PriceListAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "company", "product", "valid_from", "valid_to"]
    list_filter = ["company"]
    inlines = [PriceComponentInline]


class DistributionRateInline(admin.TabularInline):
    model = models.DistributionRate
    extra = 0


@admin.register(models.DistributionTariff)
class DistributionTariffAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "dso",
        "tariff_group",
        "valid_from",
        "valid_to",
        "is_reference_data",
        "confirmed_at",
    ]
    list_filter = ["dso", "tariff_group", "is_reference_data"]
    inlines = [DistributionRateInline]


@admin.register(models.NationalRate)
class NationalRateAdmin(admin.ModelAdmin):
    list_display = [
        "kind",
        "band",
        "price",
        "unit",
        "valid_from",
        "valid_to",
        "is_reference_data",
        "confirmed_at",
    ]
    list_filter = ["kind", "country"]


class TimeZoneRuleInline(admin.TabularInline):
    model = models.TimeZoneRule
    extra = 0


@admin.register(models.TimeZoneSchedule)
class TimeZoneScheduleAdmin(admin.ModelAdmin):
    list_display = [
        "dso",
        "tariff_group",
        "valid_from",
        "valid_to",
        "winter_time_all_year",
        "is_reference_data",
    ]
    inlines = [TimeZoneRuleInline]


admin.site.register(models.Discount)
admin.site.register(models.Fee)


class CompetitorPriceInline(admin.TabularInline):
    model = models.CompetitorPrice
    extra = 0


@admin.register(models.CompetitorPriceList)
class CompetitorPriceListAdmin(admin.ModelAdmin):
    list_display = [
        "competitor",
        "name",
        "company",
        "commodity",
        "tariff_group",
        "is_incumbent_tariff",
        "valid_from",
        "valid_to",
    ]
    list_filter = ["company", "competitor", "commodity"]
    inlines = [CompetitorPriceInline]
