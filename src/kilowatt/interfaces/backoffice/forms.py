"""Forms only collect input; the domain operations validate it and name the fields that are wrong."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kilowatt.catalog.models import PriceList, Product
from kilowatt.core.errors import ValidationFailed
from kilowatt.network.models import Commodity, Dso, SupplyPoint, TariffGroup
from kilowatt.network.operations import SupplyPointData
from kilowatt.parties.models import Channel, CustomerKind
from kilowatt.parties.operations import (
    ADDRESS_FIELDS,
    CUSTOMER_FIELDS,
    AddressData,
    ContactData,
    CustomerData,
)
from kilowatt.sales.models import BILLING_CYCLES, ContractKind
from kilowatt.sales.operations import ContractData


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
        values = {name: self.cleaned_data.get(name, "") for name in CUSTOMER_FIELDS}
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


class ContractForm(DomainErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContractKind.choices)
    product_id = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    price_list_id = forms.ModelChoiceField(
        label=_("Price list"), queryset=PriceList.objects.none(), required=False
    )
    supply_point_ids = forms.ModelMultipleChoiceField(
        label=_("Supply points"),
        queryset=SupplyPoint.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    start_date = forms.DateField(
        label=_("Supply from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(
        label=_("Supply until (excluded)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    billing_cycle_months = forms.TypedChoiceField(
        label=_("Billing cycle"), choices=BILLING_CYCLES, coerce=int
    )
    forecast_billing = forms.BooleanField(label=_("Forecast invoices between settlements"), required=False)
    payment_term_days = forms.IntegerField(label=_("Payment term (days)"), initial=14)
    notice_period_days = forms.IntegerField(label=_("Notice period (days)"), initial=30)

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["product_id"].queryset = Product.objects.filter(company=customer.company, is_active=True)
        self.fields["price_list_id"].queryset = PriceList.objects.filter(company=customer.company)
        self.fields["supply_point_ids"].queryset = SupplyPoint.objects.filter(customer=customer)

    def contract_data(self) -> ContractData:
        data = self.cleaned_data
        return ContractData(
            customer_id=self.customer.pk,
            kind=data["kind"],
            product_id=data["product_id"].pk if data.get("product_id") else None,
            price_list_id=data["price_list_id"].pk if data.get("price_list_id") else None,
            start_date=data.get("start_date"),
            end_date=data.get("end_date"),
            supply_point_ids=[p.pk for p in data.get("supply_point_ids") or []],
            billing_cycle_months=data["billing_cycle_months"],
            forecast_billing=data.get("forecast_billing", False),
            payment_term_days=data["payment_term_days"],
            notice_period_days=data["notice_period_days"],
        )


class MeterMountForm(DomainErrorsMixin, forms.Form):
    serial_number = forms.CharField(label=_("Serial number"), required=False)
    manufacturer = forms.CharField(label=_("Manufacturer"), required=False)
    multiplier = forms.CharField(label=_("Multiplier"), initial="1", required=False)
    installed_on = forms.DateField(label=_("Installed on"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean_multiplier(self) -> str:
        return self.cleaned_data.get("multiplier") or "1"


class ContactForm(DomainErrorsMixin, forms.Form):
    first_name = forms.CharField(label=_("First name"), required=False)
    last_name = forms.CharField(label=_("Last name"), required=False)
    role = forms.ChoiceField(label=_("Role"), required=False)
    email = forms.CharField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False)
    is_signing_person = forms.BooleanField(label=_("Signing person"), required=False)

    def __init__(self, *args, roles: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "—"), *roles]

    def contact_data(self) -> ContactData:
        return ContactData(**self.cleaned_data)
