from django.contrib import admin

from kilowatt.sales import models


@admin.register(models.Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "company", "channel", "cost", "starts_on", "ends_on")
    list_filter = ("company",)
    search_fields = ("code", "name")
