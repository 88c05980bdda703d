"""Finance settings for superusers: the accounting export's account mapping and the record of its exports."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kilowatt.finance.models import FinancePolicy, JournalAccount, JournalExport, StatutoryInterestRate
from kilowatt.parties.models import CustomerKind


class JournalAccountForm(forms.ModelForm):
    customer_kind = forms.ChoiceField(
        label=_("customer kind"),
        required=False,
        choices=[("", _("Every customer kind")), *CustomerKind.choices],
        help_text=_("A row for one customer kind is used before the row for every customer kind."),
    )

    class Meta:
        model = JournalAccount
        fields = ["company", "entry_kind", "customer_kind", "debit_account", "credit_account"]


@admin.register(JournalAccount)
class JournalAccountAdmin(admin.ModelAdmin):
    form = JournalAccountForm
    list_display = ["company", "entry_kind", "customer_kind", "debit_account", "credit_account"]
    list_filter = ["company", "entry_kind", "customer_kind"]
    ordering = ["company", "entry_kind", "customer_kind"]
    fieldsets = [
        (
            None,
            {
                "fields": ["company", "entry_kind", "customer_kind", "debit_account", "credit_account"],
                "description": _(
                    "The accounts say how a positive ledger amount (the customer owes more) is booked. "
                    "A negative amount (a payment, a credit correction, a write-off) is booked to the same "
                    "two accounts the other way round. Reversals use the accounts of the entry they reverse. "
                    "See docs/accounting-export.md."
                ),
            },
        )
    ]


@admin.register(JournalExport)
class JournalExportAdmin(admin.ModelAdmin):
    """The record of exports is kept as written: it can be read, not changed."""

    list_display = [
        "company",
        "day",
        "format",
        "entries",
        "debit_total",
        "credit_total",
        "file_hash",
        "exported_by",
        "exported_at",
    ]
    list_filter = ["company", "format"]
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FinancePolicy)
class FinancePolicyAdmin(admin.ModelAdmin):
    list_display = [
        "company",
        "allocation_order",
        "interest_mode",
        "interest_minimum",
        "recovery_compensation",
    ]


@admin.register(StatutoryInterestRate)
class StatutoryInterestRateAdmin(admin.ModelAdmin):
    list_display = ["country", "kind", "valid_from", "rate", "source"]
    list_filter = ["country", "kind"]
    ordering = ["country", "kind", "-valid_from"]
