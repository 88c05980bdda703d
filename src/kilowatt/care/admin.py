from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from kilowatt.care.forms import ticket_form_fields_check
from kilowatt.care.models import Team, TicketFormField, TicketType
from kilowatt.core.errors import ValidationFailed


class TicketFormFieldFormSet(BaseInlineFormSet):
    """The form of a type is checked as a whole before it is saved (a condition must name a field of it)."""

    def clean(self):
        super().clean()
        # a valid model form's instance already carries the values typed (construct_instance in _post_clean)
        kept = [
            form.instance
            for form in self.forms
            if form.is_valid() and form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            ticket_form_fields_check(fields=kept)
        except ValidationFailed as failed:
            raise ValidationError([error.message for error in failed.errors]) from failed


class TicketFormFieldInline(admin.TabularInline):
    model = TicketFormField
    formset = TicketFormFieldFormSet
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


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "company", "day_starts", "day_ends")
    list_filter = ("company",)
    filter_horizontal = ("members",)
