from django.contrib import admin

from kilowatt.switching import models


class SwitchStepInline(admin.TabularInline):
    model = models.SwitchStepDefinition
    extra = 0
    ordering = ["position"]


@admin.register(models.SwitchProcess)
class SwitchProcessAdmin(admin.ModelAdmin):
    """Each DSO's switch process as data: its steps in order, deadlines and the documents they need."""

    list_display = ["name", "company", "dso", "commodity", "kind", "exchange"]
    list_filter = ["company", "dso", "commodity", "kind"]
    inlines = [SwitchStepInline]
