"""Commission schemes (with their rates and payout stages) and their assignments; entries and statements
are read-only here: entries come from events, statements from the monthly settlement."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kilowatt.commissions import models
from kilowatt.commissions.rules import stage_shares_check
from kilowatt.core.errors import ValidationFailed


class CommissionRateInline(admin.TabularInline):
    model = models.CommissionRate
    extra = 1


class StageFormSet(forms.BaseInlineFormSet):
    """The stages of a staged scheme release 100 % together; a billed scheme has none."""

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        shares = [
            form.cleaned_data["share"]
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("share") is not None
        ]
        try:
            stage_shares_check(basis=self.instance.basis, shares=shares)
        except ValidationFailed as error:
            raise forms.ValidationError(error.message, code=error.code) from error


class CommissionStageInline(admin.TabularInline):
    model = models.CommissionStage
    formset = StageFormSet
    extra = 1
    verbose_name_plural = _("payout stages (shares sum to 100 %)")


@admin.register(models.CommissionScheme)
class CommissionSchemeAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "company",
        "basis",
        "business_share",
        "clawback_months",
        "valid_from",
        "valid_to",
    )
    list_filter = ("company", "basis")
    search_fields = ("code", "name")
    inlines = [CommissionRateInline, CommissionStageInline]


@admin.register(models.SchemeAssignment)
class SchemeAssignmentAdmin(admin.ModelAdmin):
    list_display = ("scheme", "company", "channel", "organisation", "valid_from", "valid_to")
    list_filter = ("company", "scheme")
    raw_id_fields = ("organisation",)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.CommissionEntry)
class CommissionEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "occurred_on",
        "kind",
        "contract",
        "supply_point",
        "organisation",
        "agent",
        "amount",
        "description",
    )
    list_filter = ("company", "kind", "scheme")
    search_fields = ("key", "contract__number", "description")
    list_select_related = ("contract", "supply_point", "organisation", "agent")
    date_hierarchy = "occurred_on"


@admin.register(models.CommissionStatement)
class CommissionStatementAdmin(ReadOnlyAdmin):
    list_display = ("number", "organisation", "period_start", "total", "status")
    list_filter = ("company", "status")
    search_fields = ("number", "organisation__name")
    list_select_related = ("organisation",)
