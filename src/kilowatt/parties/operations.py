"""Use cases of customers: create and change them, their contacts and consents, with history."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from kilowatt.core.identifiers import (
    krs_validate,
    nip_validate,
    pesel_validate,
    postal_code_pl_validate,
    regon_validate,
)
from kilowatt.core.models import AuditEntry, Company
from kilowatt.core.numbering import number_series_next
from kilowatt.core.operations import audit_record, event_record, model_snapshot
from kilowatt.core.phones import phone_normalise
from kilowatt.core.text import search_fold
from kilowatt.core.validation import FieldErrors
from kilowatt.parties.models import (
    Address,
    Channel,
    Consent,
    ConsentKind,
    ContactPerson,
    Customer,
    CustomerKind,
)


@dataclass
class AddressData:
    street: str = ""
    building_number: str = ""
    apartment_number: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = "PL"


@dataclass
class CustomerData:
    kind: str
    address: AddressData
    first_name: str = ""
    last_name: str = ""
    business_name: str = ""
    pesel: str = ""
    nip: str = ""
    regon: str = ""
    krs: str = ""
    email: str = ""
    phone: str = ""
    preferred_channel: str = Channel.EMAIL
    language: str = "pl"
    segment: str = ""
    external_id: str = ""
    correspondence_address: AddressData | None = field(default=None)


# The customer's own fields of CustomerData, as forms and import files name them.
CUSTOMER_FIELDS = (
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
ADDRESS_FIELDS = ("street", "building_number", "apartment_number", "postal_code", "city")


def address_clean(*, data: AddressData, errors: FieldErrors, prefix: str) -> AddressData:
    errors.require(f"{prefix}building_number", data.building_number)
    errors.require(f"{prefix}city", data.city)
    errors.require(f"{prefix}postal_code", data.postal_code)
    postal_code = data.postal_code.strip()
    if postal_code and data.country.upper() == "PL":
        postal_code = errors.check(f"{prefix}postal_code", postal_code_pl_validate, postal_code)
    return AddressData(
        street=data.street.strip(),
        building_number=data.building_number.strip(),
        apartment_number=data.apartment_number.strip(),
        postal_code=postal_code,
        city=data.city.strip(),
        country=data.country.upper() or "PL",
    )


def customer_clean(*, company: Company, data: CustomerData, existing: Customer | None = None) -> CustomerData:
    """Validate and normalise customer input; raise ValidationFailed listing every bad field."""
    errors = FieldErrors()
    if data.kind not in CustomerKind.values:
        errors.add("kind", _("Choose a person or a business."))
    if data.kind == CustomerKind.PERSON:
        errors.require("first_name", data.first_name)
        errors.require("last_name", data.last_name)
    if data.kind == CustomerKind.BUSINESS:
        errors.require("business_name", data.business_name)
        errors.require("nip", data.nip)
    pesel = errors.check("pesel", pesel_validate, data.pesel) if data.pesel.strip() else ""
    nip = errors.check("nip", nip_validate, data.nip) if data.nip.strip() else ""
    regon = errors.check("regon", regon_validate, data.regon) if data.regon.strip() else ""
    krs = errors.check("krs", krs_validate, data.krs) if data.krs.strip() else ""
    email = errors.email("email", data.email)
    phone = errors.check("phone", phone_normalise, data.phone) if data.phone.strip() else ""
    if data.preferred_channel not in Channel.values:
        errors.add("preferred_channel", _("Choose e-mail, paper, portal or SMS."))
    if data.preferred_channel == Channel.EMAIL and not email and not errors.has("email"):
        errors.add("email", _("An e-mail address is needed when the preferred channel is e-mail."))
    if data.preferred_channel == Channel.SMS and not phone and not errors.has("phone"):
        errors.add("phone", _("A phone number is needed when the preferred channel is SMS."))
    address = address_clean(data=data.address, errors=errors, prefix="address.")
    correspondence = (
        address_clean(data=data.correspondence_address, errors=errors, prefix="correspondence_address.")
        if data.correspondence_address
        else None
    )
    others = Customer.objects.filter(company=company).exclude(pk=existing.pk if existing else None)
    if pesel and not errors.has("pesel") and others.filter(pesel=pesel).exists():
        errors.add("pesel", _("A customer with this PESEL already exists."), code="duplicate")
    if nip and not errors.has("nip") and others.filter(nip=nip).exists():
        errors.add("nip", _("A customer with this NIP already exists."), code="duplicate")
    if data.external_id and others.filter(external_id=data.external_id).exists():
        errors.add("external_id", _("A customer with this external id already exists."), code="duplicate")
    errors.raise_if_any()
    return CustomerData(
        kind=data.kind,
        address=address,
        correspondence_address=correspondence,
        first_name=data.first_name.strip(),
        last_name=data.last_name.strip(),
        business_name=data.business_name.strip(),
        pesel=pesel,
        nip=nip,
        regon=regon,
        krs=krs,
        email=email,
        phone=phone,
        preferred_channel=data.preferred_channel,
        language=data.language,
        segment=data.segment,
        external_id=data.external_id.strip(),
    )


def customer_search_text(*, customer: Customer, address: AddressData | Address) -> str:
    return search_fold(
        " ".join(
            [customer.first_name, customer.last_name, customer.business_name, address.city, customer.email]
        )
    )[:500]


def _customer_fields(data: CustomerData) -> dict:
    fields = asdict(data)
    fields.pop("address")
    fields.pop("correspondence_address")
    return fields


@transaction.atomic
def customer_create(
    *, company: Company, data: CustomerData, actor: AbstractBaseUser | None, now: datetime
) -> Customer:
    """Create a customer with a number from the company's series. Raises ValidationFailed."""
    clean = customer_clean(company=company, data=data)
    address = Address.objects.create(**asdict(clean.address))
    correspondence = (
        Address.objects.create(**asdict(clean.correspondence_address))
        if clean.correspondence_address
        else None
    )
    customer = Customer(
        company=company,
        number=number_series_next(company=company, document_type="customer", year=now.year),
        address=address,
        correspondence_address=correspondence,
        created_at=now,
        updated_at=now,
        **_customer_fields(clean),
    )
    customer.search_text = customer_search_text(customer=customer, address=address)
    customer.save()
    audit_record(
        company=company,
        instance=customer,
        action=AuditEntry.Action.CREATED,
        before=None,
        after=_customer_snapshot(customer),
        actor=actor,
        at=now,
    )
    event_record(
        company=company,
        name="parties.customer.created-v1",
        payload={"customer_id": customer.pk, "number": customer.number},
        occurred_at=now,
    )
    return customer


def _customer_snapshot(customer: Customer) -> dict:
    snapshot = model_snapshot(customer)
    snapshot.pop("search_text", None)
    snapshot.pop("updated_at", None)
    snapshot.pop("created_at", None)
    snapshot["address"] = str(customer.address)
    if customer.correspondence_address_id:
        snapshot["correspondence_address"] = str(customer.correspondence_address)
    snapshot.pop("address_id", None)
    snapshot.pop("correspondence_address_id", None)
    return snapshot


@transaction.atomic
def customer_update(
    *, customer: Customer, data: CustomerData, actor: AbstractBaseUser | None, now: datetime
) -> Customer:
    """Change a customer's data; the difference goes to its history. Raises ValidationFailed."""
    customer = Customer.objects.select_for_update().select_related("address").get(pk=customer.pk)
    before = _customer_snapshot(customer)
    clean = customer_clean(company=customer.company, data=data, existing=customer)
    for name, value in _customer_fields(clean).items():
        setattr(customer, name, value)
    for name, value in asdict(clean.address).items():
        setattr(customer.address, name, value)
    customer.address.save()
    if clean.correspondence_address:
        if customer.correspondence_address_id:
            for name, value in asdict(clean.correspondence_address).items():
                setattr(customer.correspondence_address, name, value)
            customer.correspondence_address.save()
        else:
            customer.correspondence_address = Address.objects.create(**asdict(clean.correspondence_address))
    else:
        customer.correspondence_address = None
    customer.search_text = customer_search_text(customer=customer, address=customer.address)
    customer.updated_at = now
    customer.save()
    audit_record(
        company=customer.company,
        instance=customer,
        action=AuditEntry.Action.UPDATED,
        before=before,
        after=_customer_snapshot(customer),
        actor=actor,
        at=now,
    )
    return customer


@dataclass
class ContactData:
    first_name: str
    last_name: str
    role: str = ""
    email: str = ""
    phone: str = ""
    is_signing_person: bool = False


@transaction.atomic
def contact_add(
    *, customer: Customer, data: ContactData, actor: AbstractBaseUser | None, now: datetime
) -> ContactPerson:
    errors = FieldErrors()
    errors.require("first_name", data.first_name)
    errors.require("last_name", data.last_name)
    email = errors.email("email", data.email)
    phone = errors.check("phone", phone_normalise, data.phone) if data.phone.strip() else ""
    errors.raise_if_any()
    contact = ContactPerson.objects.create(
        customer=customer,
        first_name=data.first_name.strip(),
        last_name=data.last_name.strip(),
        role=data.role,
        email=email,
        phone=phone,
        is_signing_person=data.is_signing_person,
    )
    audit_record(
        company=customer.company,
        instance=customer,
        action=AuditEntry.Action.UPDATED,
        before={},
        after={"contact_added": str(contact) + (" (signing)" if contact.is_signing_person else "")},
        actor=actor,
        at=now,
    )
    return contact


@transaction.atomic
def consent_grant(
    *, customer: Customer, kind: str, source: str, actor: AbstractBaseUser | None, now: datetime
) -> Consent:
    """Record a consent; granting one already in force changes nothing."""
    if kind not in ConsentKind.values:
        errors = FieldErrors()
        errors.add("kind", _("Unknown consent."))
        errors.raise_if_any()
    active = Consent.objects.filter(customer=customer, kind=kind, withdrawn_at__isnull=True).first()
    if active:
        return active
    consent = Consent.objects.create(customer=customer, kind=kind, source=source, granted_at=now)
    audit_record(
        company=customer.company,
        instance=customer,
        action=AuditEntry.Action.UPDATED,
        before={f"consent.{kind}": None},
        after={f"consent.{kind}": f"granted ({source})"},
        actor=actor,
        at=now,
    )
    return consent


@transaction.atomic
def consent_withdraw(
    *, customer: Customer, kind: str, actor: AbstractBaseUser | None, now: datetime
) -> Consent | None:
    active = (
        Consent.objects.select_for_update()
        .filter(customer=customer, kind=kind, withdrawn_at__isnull=True)
        .first()
    )
    if active is None:
        return None
    active.withdrawn_at = now
    active.save(update_fields=["withdrawn_at"])
    audit_record(
        company=customer.company,
        instance=customer,
        action=AuditEntry.Action.UPDATED,
        before={f"consent.{kind}": "granted"},
        after={f"consent.{kind}": "withdrawn"},
        actor=actor,
        at=now,
    )
    return active
