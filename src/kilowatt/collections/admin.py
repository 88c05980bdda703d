from django.contrib import admin

from kilowatt.collections import models


class DunningStepInline(admin.TabularInline):
    model = models.DunningStep
    extra = 0
    ordering = ("position",)


@admin.register(models.DunningPolicy)
class DunningPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "company",
        "customer_kind",
        "segment",
        "priority",
        "reminder_days_before_due",
        "is_active",
    )
    list_filter = ("company", "is_active")
    inlines = [DunningStepInline]
