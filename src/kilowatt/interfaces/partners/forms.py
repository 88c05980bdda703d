"""Forms of the partner portal's sales pages. They only collect input: the domain operations validate it
and name the fields that are wrong (``add_domain_errors`` puts each message next to its field)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kilowatt.catalog.models import CompetitorPriceList, PriceList
from kilowatt.interfaces.backoffice.forms import AddressFieldsMixin, DomainErrorsMixin
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.operations import ContactData
from kilowatt.sales.leads import LeadData
from kilowatt.sales.models import OfferTemplate
from kilowatt.sales.offers import OfferData

LEAD_SOURCE = "partner-portal"


class PartnerLeadForm(DomainErrorsMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("person", _("Person")), ("business", _("Business"))], initial="person"
    )
    first_name = forms.CharField(label=_("First name"), required=False)
    last_name = forms.CharField(label=_("Last name"), required=False)
    business_name = forms.CharField(label=_("Business name"), required=False)
    nip = forms.CharField(label=_("NIP"), required=False)
    pesel = forms.CharField(label=_("PESEL"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False, widget=forms.TextInput(attrs={"type": "tel"}))
    email = forms.CharField(label=_("E-mail"), required=False, widget=forms.EmailInput)
    supply_point_code = forms.CharField(label=_("Supply point code (PPE/PPG)"), required=False)
    city = forms.CharField(label=_("City"), required=False)
    commodity = forms.ChoiceField(
        label=_("Commodity"),
        required=False,
        choices=[("electricity", _("Electricity")), ("gas", _("Gas"))],
        initial="electricity",
    )
    annual_consumption_kwh = forms.CharField(
        label=_("Yearly consumption (kWh)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def lead_data(self) -> LeadData:
        return LeadData(source=LEAD_SOURCE, **self.cleaned_data)


class LeadConvertForm(DomainErrorsMixin, AddressFieldsMixin):
    """The customer's address: the lead has the person or business, the address completes the customer."""


class SigningPersonForm(DomainErrorsMixin, forms.Form):
    """Who signs for a business customer (a contact person marked as signing person)."""

    first_name = forms.CharField(label=_("First name"), required=False)
    last_name = forms.CharField(label=_("Last name"), required=False)
    role = forms.CharField(label=_("Role"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False, widget=forms.TextInput(attrs={"type": "tel"}))
    email = forms.CharField(label=_("E-mail"), required=False, widget=forms.EmailInput)

    def contact_data(self) -> ContactData:
        return ContactData(is_signing_person=True, **self.cleaned_data)


def zone_field_name(point_id: int, zone: str) -> str:
    """Named like the domain's error field ``zone_splits.<point>.<zone>``, so its message lands here."""
    return f"zone_splits_{point_id}_{zone}"


class PartnerOfferForm(DomainErrorsMixin, forms.Form):
    """The offer calculator: a template the organisation may offer, its price list, the start of supply,
    what the customer pays now and, optionally, the kWh per zone from the customer's bill."""

    template_id = forms.ModelChoiceField(
        label=_("Offer"), queryset=OfferTemplate.objects.none(), empty_label=None
    )
    price_list_id = forms.ModelChoiceField(
        label=_("Price list"), queryset=PriceList.objects.none(), empty_label=None
    )
    start_date = forms.DateField(label=_("Supply from"), widget=forms.DateInput(attrs={"type": "date"}))
    current_competitor_id = forms.ModelChoiceField(
        label=_("What the customer pays now"),
        queryset=CompetitorPriceList.objects.none(),
        required=False,
        empty_label=_("the incumbent's tariff"),
    )
    language = forms.ChoiceField(label=_("Language"), choices=[("pl", "polski"), ("en", "English")])

    def __init__(
        self,
        *args,
        templates: QuerySet[OfferTemplate],
        price_lists: QuerySet[PriceList],
        competitors: QuerySet[CompetitorPriceList],
        points: list[SupplyPoint],
        default_start: date,
        **kwargs,
    ):
        kwargs.setdefault("initial", {}).setdefault("start_date", default_start)
        super().__init__(*args, **kwargs)
        self.fields["template_id"].queryset = templates
        self.fields["template_id"].label_from_instance = lambda t: f"{t.name} ({t.product.name})"
        self.fields["price_list_id"].queryset = price_lists
        self.fields["price_list_id"].label_from_instance = lambda p: f"{p.product.name} · {p.name}"
        self.fields["current_competitor_id"].queryset = competitors
        self.zone_rows: list[tuple[SupplyPoint, dict[str, str]]] = []
        for point in points:
            zones = {zone_field_name(point.pk, zone): zone for zone in point.tariff_group.zones or ["all"]}
            for name, zone in zones.items():
                self.fields[name] = forms.CharField(
                    label=_("kWh, whole day") if zone == "all" else _("kWh, zone %(zone)s") % {"zone": zone},
                    required=False,
                    widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 8}),
                )
            self.zone_rows.append((point, zones))

    def zone_fields(self) -> list[tuple[SupplyPoint, list[forms.BoundField]]]:
        return [(point, [self[name] for name in zones]) for point, zones in self.zone_rows]

    def main_fields(self) -> list[forms.BoundField]:
        return [
            self[name] for name in ("template_id", "price_list_id", "start_date", "current_competitor_id")
        ]

    def offer_data(self) -> OfferData:
        data = self.cleaned_data
        splits: dict[int, dict[str, str]] = {}
        for point, zones in self.zone_rows:
            for name, zone in zones.items():
                value = (data.get(name) or "").strip()
                if value:
                    splits.setdefault(point.pk, {})[zone] = value
        competitor = data.get("current_competitor_id")
        return OfferData(
            template_id=data["template_id"].pk,
            price_list_id=data["price_list_id"].pk,
            start_date=data["start_date"],
            language=data["language"],
            current_competitor_id=competitor.pk if competitor else None,
            zone_splits=splits,
        )
