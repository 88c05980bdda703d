from django import forms
from django.contrib import admin

from kilowatt.core.clock import system_clock
from kilowatt.documents.agreements import AgreementTemplateInvalid, agreement_body_check
from kilowatt.sales import models


@admin.register(models.Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "company", "channel", "cost", "starts_on", "ends_on")
    list_filter = ("company",)
    search_fields = ("code", "name")


@admin.register(models.OfferTemplate)
class OfferTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "company", "product", "term_months", "validity_days", "is_active")
    list_filter = ("company", "is_active")
    search_fields = ("code", "name")


class ContractTemplateForm(forms.ModelForm):
    class Meta:
        model = models.ContractTemplate
        fields = ("company", "kind", "language", "body")

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        try:
            agreement_body_check(body=body)
        except AgreementTemplateInvalid as error:
            raise forms.ValidationError(str(error)) from error
        return body


@admin.register(models.ContractTemplate)
class ContractTemplateAdmin(admin.ModelAdmin):
    """The company's wording of contracts, annexes and terminations; checked to compile before saving."""

    form = ContractTemplateForm
    list_display = ("company", "kind", "language", "updated_at")
    list_filter = ("company", "kind", "language")

    def save_model(self, request, obj, form, change):
        obj.updated_at = system_clock.now()
        super().save_model(request, obj, form, change)


@admin.register(models.Gift)
class GiftAdmin(admin.ModelAdmin):
    """The promotional gifts headquarters hand out; their stock moves in the back office (channels)."""

    list_display = ("code", "name", "company", "unit_value", "is_active")
    list_filter = ("company", "is_active")
    search_fields = ("code", "name")
