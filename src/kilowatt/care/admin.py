from django.contrib import admin

from kilowatt.care.models import Team, TicketFormField, TicketType


class TicketFormFieldInline(admin.TabularInline):
    model = TicketFormField
    extra = 1


@admin.register(TicketType)
class TicketTypeAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name_pl",
        "name_en",
        "team",
        "sla_hours",
        "is_complaint",
        "open_in_portal",
        "is_active",
    )
    list_filter = ("company", "is_complaint", "is_active")
    inlines = [TicketFormFieldInline]

    def save_related(self, request, form, formsets, change):
        from kilowatt.care.forms import ticket_form_fields_check

        super().save_related(request, form, formsets, change)
        ticket_form_fields_check(fields=list(form.instance.fields.all()))


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "company", "day_starts", "day_ends")
    list_filter = ("company",)
    filter_horizontal = ("members",)
