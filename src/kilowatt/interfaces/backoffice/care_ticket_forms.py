"""Forms of the ticket pages: the search over many criteria at once, and registration with the fields of
the chosen ticket type's form (named ``form.<code>``, as the domain names its errors)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kilowatt.billing.models import Invoice
from kilowatt.care.forms import FORM_PREFIX
from kilowatt.care.models import (
    CATEGORY_DICTIONARY,
    FieldKind,
    TicketChannel,
    TicketFormField,
    TicketStatus,
    TicketType,
)
from kilowatt.care.queries import TicketCriteria, teams_of_company, ticket_types_of_company
from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.core.models import Company, DictionaryEntry
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Customer
from kilowatt.sales.models import Contract

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _language() -> str:
    return get_language() or "pl"


class TypeChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: TicketType) -> str:
        return obj.name(_language())


class CategoryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: DictionaryEntry) -> str:
        return obj.label(_language())


class UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class RecordChoice(forms.ModelChoiceField):
    """A supply point, contract or invoice shown by its number or code."""

    def label_from_instance(self, obj) -> str:
        if isinstance(obj, SupplyPoint):
            return f"{obj.code} · {obj.get_commodity_display()}"
        if isinstance(obj, Invoice):
            return f"{obj.number} · {obj.issue_date.isoformat()} · {obj.gross} PLN"
        return str(getattr(obj, "number", obj))


def categories_of_company(company: Company):
    return DictionaryEntry.objects.filter(company=company, dictionary=CATEGORY_DICTIONARY, is_active=True)


def team_members_of_company(company: Company):
    return get_user_model().objects.filter(care_teams__company=company).distinct().order_by("username")


class TicketSearchForm(forms.Form):
    q = forms.CharField(label=_("Text"), required=False, max_length=200)
    ticket_type = TypeChoice(
        label=_("Type"), queryset=TicketType.objects.none(), required=False, empty_label=_("any")
    )
    category = CategoryChoice(
        label=_("Category"), queryset=DictionaryEntry.objects.none(), required=False, empty_label=_("any")
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("any")), ("open", _("open (not finished)")), *TicketStatus.choices],
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("any")), *TicketChannel.choices]
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False, empty_label=_("any"))
    assignee = UserChoice(label=_("Assignee"), queryset=None, required=False, empty_label=_("any"))
    registered_from = forms.DateField(label=_("Registered from"), required=False, widget=DATE_INPUT)
    registered_to = forms.DateField(label=_("Registered until"), required=False, widget=DATE_INPUT)
    area = forms.CharField(label=_("Postal code or city"), required=False, max_length=64)
    overdue = forms.BooleanField(label=_("overdue"), required=False)
    breached = forms.BooleanField(label=_("SLA breached"), required=False)

    def __init__(self, *args, company: Company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ticket_type"].queryset = TicketType.objects.filter(company=company)
        self.fields["category"].queryset = categories_of_company(company)
        self.fields["team"].queryset = teams_of_company(company=company)
        self.fields["assignee"].queryset = team_members_of_company(company)

    def criteria(self) -> TicketCriteria:
        """What was asked; a value that is not valid is left out (and shown with its error)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})

        def pk(name: str) -> int | None:
            return data[name].pk if data.get(name) else None

        return TicketCriteria(
            text=data.get("q") or "",
            ticket_type_id=pk("ticket_type"),
            category_id=pk("category"),
            status=data.get("status") or "",
            channel=data.get("channel") or "",
            team_id=pk("team"),
            assignee_id=pk("assignee"),
            registered_from=data.get("registered_from"),
            registered_to=data.get("registered_to"),
            area=data.get("area") or "",
            overdue=bool(data.get("overdue")),
            breached=bool(data.get("breached")),
        )


def _form_field(field: TicketFormField, language: str) -> forms.Field:
    """A type's form field as a Django field; the domain checks it (``ticket_form_check``), not Django."""
    label = field.label(language)
    attrs = {"data-kind": field.kind}
    if field.kind == FieldKind.LONG_TEXT:
        widget = forms.Textarea(attrs={**attrs, "rows": 3})
    elif field.kind == FieldKind.DATE:
        widget = forms.DateInput(attrs={**attrs, "type": "date"})
    elif field.kind == FieldKind.NUMBER:
        widget = forms.TextInput(attrs={**attrs, "inputmode": "decimal"})
    elif field.kind == FieldKind.CHOICE:
        widget = forms.Select(attrs=attrs, choices=[("", "—"), *field.choice_options(language)])
    elif field.kind == FieldKind.YES_NO:
        widget = forms.Select(attrs=attrs, choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))])
    else:
        widget = forms.TextInput(attrs=attrs)
    made = forms.CharField(label=label, required=False, widget=widget, strip=True)
    made.ticket_field = field  # the template marks required and conditionally required fields
    return made


class TicketNewForm(forms.Form):
    ticket_type = TypeChoice(label=_("Type"), queryset=TicketType.objects.none(), empty_label="—")
    category = CategoryChoice(label=_("Category"), queryset=DictionaryEntry.objects.none(), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=TicketChannel.choices, initial=TicketChannel.PHONE
    )
    subject = forms.CharField(label=_("Subject"), required=False, max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    caller_name = forms.CharField(label=_("Caller's name"), required=False, max_length=200)
    caller_phone = forms.CharField(label=_("Caller's phone"), required=False, max_length=32)
    caller_email = forms.EmailField(label=_("Caller's e-mail"), required=False)
    supply_point = RecordChoice(
        label=_("Supply point"), queryset=SupplyPoint.objects.none(), required=False, empty_label="—"
    )
    contract = RecordChoice(
        label=_("Contract"), queryset=Contract.objects.none(), required=False, empty_label="—"
    )
    invoice = RecordChoice(
        label=_("Invoice"), queryset=Invoice.objects.none(), required=False, empty_label="—"
    )
    outage = forms.IntegerField(required=False, min_value=1)  # the offered outage's box, when ticked

    BASE_FIELDS = ("category", "channel", "subject", "description")
    CALLER_FIELDS = ("caller_name", "caller_phone", "caller_email")
    RECORD_FIELDS = ("supply_point", "contract", "invoice")

    def __init__(self, *args, company: Company, customer: Customer | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.company, self.customer = company, customer
        self.fields["ticket_type"].queryset = ticket_types_of_company(company=company)
        self.fields["category"].queryset = categories_of_company(company)
        if customer is not None:
            self.fields["supply_point"].queryset = SupplyPoint.objects.filter(customer=customer).order_by(
                "code"
            )
            self.fields["contract"].queryset = Contract.objects.filter(customer=customer).order_by("-id")
            self.fields["invoice"].queryset = Invoice.objects.filter(customer=customer).order_by(
                "-issue_date", "-id"
            )
        new_url = reverse("backoffice:care_ticket_new")
        self.fields["ticket_type"].widget.attrs.update(
            {"hx-get": f"{new_url}?part=fields", "hx-target": "#type-fields", "hx-include": "this"}
        )
        if customer is not None:
            self.fields["supply_point"].widget.attrs.update(
                {
                    "hx-get": f"{new_url}?part=outage&customer={customer.pk}",
                    "hx-target": "#outage-offer",
                    "hx-include": "this, [name=ticket_type]",
                }
            )
        self.ticket_type = self._chosen_type()
        self.type_field_names: list[str] = []
        self.customer_problems: list[str] = []
        if self.ticket_type is not None:
            language = _language()
            for field in self.ticket_type.fields.all():
                name = FORM_PREFIX + field.code
                self.fields[name] = _form_field(field, language)
                self.type_field_names.append(name)

    def _chosen_type(self) -> TicketType | None:
        wanted = self.data.get("ticket_type") if self.is_bound else self.initial.get("ticket_type")
        wanted = getattr(wanted, "pk", wanted)
        if not wanted or not str(wanted).isdigit():
            return None
        return self.fields["ticket_type"].queryset.filter(pk=wanted).first()

    def type_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.type_field_names]

    def answers(self) -> dict[str, str]:
        prefix = len(FORM_PREFIX)
        return {name[prefix:]: self.cleaned_data.get(name, "") for name in self.type_field_names}

    def add_domain_errors(self, failed: DomainError) -> None:
        """Each refusal next to the field it names; the customer's by the customer, the rest on top."""
        for error in failed.errors if isinstance(failed, ValidationFailed) else [failed]:
            if error.field == "customer":
                self.customer_problems.append(error.message)
            elif error.field in self.fields:
                self.add_error(error.field, error.message)
            else:
                self.add_error(None, error.message)
