"""Forms only collect input; the domain operations validate it and name the fields that are wrong."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kilowatt.core.errors import ValidationFailed
from kilowatt.network.models import Commodity, Dso, TariffGroup
from kilowatt.network.operations import SupplyPointData
from kilowatt.parties.models import Channel, CustomerKind
from kilowatt.parties.operations import AddressData, CustomerData

ADDRESS_FIELDS = ["street", "building_number", "apartment_number", "postal_code", "city"]


class AddressFieldsMixin(forms.Form):
    address_street = forms.CharField(label=_("Street"), required=False)
    address_building_number = forms.CharField(label=_("Building number"), required=False)
    address_apartment_number = forms.CharField(label=_("Apartment number"), required=False)
    address_postal_code = forms.CharField(label=_("Postal code"), required=False)
    address_city = forms.CharField(label=_("City"), required=False)

    def address_data(self) -> AddressData:
        return AddressData(**{name: self.cleaned_data.get(f"address_{name}", "") for name in ADDRESS_FIELDS})


class DomainErrorsMixin:
    def add_domain_errors(self, exc: ValidationFailed) -> None:
        for error in exc.errors:
            name = (error.field or "").replace(".", "_")
            self.add_error(name if name in self.fields else None, error.message)


class CustomerForm(DomainErrorsMixin, AddressFieldsMixin):
    kind = forms.ChoiceField(label=_("Kind"), choices=CustomerKind.choices)
    first_name = forms.CharField(label=_("First name"), required=False)
    last_name = forms.CharField(label=_("Last name"), required=False)
    business_name = forms.CharField(label=_("Business name"), required=False)
    pesel = forms.CharField(label=_("PESEL"), required=False)
    nip = forms.CharField(label=_("NIP"), required=False)
    regon = forms.CharField(label=_("REGON"), required=False)
    krs = forms.CharField(label=_("KRS"), required=False)
    email = forms.CharField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False)
    preferred_channel = forms.ChoiceField(label=_("Preferred channel"), choices=Channel.choices)

    def customer_data(self) -> CustomerData:
        values = {
            name: self.cleaned_data.get(name, "")
            for name in (
                "kind",
                "first_name",
                "last_name",
                "business_name",
                "pesel",
                "nip",
                "regon",
                "krs",
                "email",
                "phone",
                "preferred_channel",
            )
        }
        return CustomerData(address=self.address_data(), **values)

    @classmethod
    def initial_for(cls, customer) -> dict:
        initial = {
            name: getattr(customer, name) for name in cls.base_fields if not name.startswith("address_")
        }
        initial.update({f"address_{name}": getattr(customer.address, name) for name in ADDRESS_FIELDS})
        return initial


class SupplyPointForm(DomainErrorsMixin, AddressFieldsMixin):
    code = forms.CharField(label=_("Code (PPE/PPG)"), required=False)
    commodity = forms.ChoiceField(label=_("Commodity"), choices=Commodity.choices)
    dso_id = forms.ModelChoiceField(label=_("DSO"), queryset=Dso.objects.all(), required=False)
    tariff_group_id = forms.ModelChoiceField(
        label=_("Tariff group"), queryset=TariffGroup.objects.all(), required=False
    )
    annual_consumption_kwh = forms.CharField(label=_("Estimated annual consumption (kWh)"), required=False)
    contracted_capacity_kw = forms.CharField(label=_("Contracted capacity (kW)"), required=False)
    phases = forms.TypedChoiceField(
        label=_("Phases"),
        choices=[("", "—"), ("1", "1"), ("3", "3")],
        coerce=int,
        empty_value=None,
        required=False,
    )
    legacy_code = forms.CharField(label=_("Legacy DSO code"), required=False)

    def supply_point_data(self) -> SupplyPointData:
        data = self.cleaned_data
        return SupplyPointData(
            code=data.get("code", ""),
            commodity=data.get("commodity", ""),
            dso_id=data["dso_id"].pk if data.get("dso_id") else None,
            tariff_group_id=data["tariff_group_id"].pk if data.get("tariff_group_id") else None,
            annual_consumption_kwh=data.get("annual_consumption_kwh"),
            contracted_capacity_kw=data.get("contracted_capacity_kw"),
            phases=data.get("phases"),
            legacy_code=data.get("legacy_code", ""),
            address=self.address_data(),
        )
