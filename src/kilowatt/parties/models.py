"""Customers (persons and businesses), addresses, contact persons, consents."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kilowatt.core.models import Company


class Address(models.Model):
    street = models.CharField(_("street"), max_length=120, blank=True)
    building_number = models.CharField(_("building number"), max_length=16)
    apartment_number = models.CharField(_("apartment number"), max_length=16, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10)
    city = models.CharField(_("city"), max_length=80)
    country = models.CharField(_("country"), max_length=2, default="PL")

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        number = self.building_number + (f"/{self.apartment_number}" if self.apartment_number else "")
        street = f"{self.street} {number}" if self.street else f"{self.city} {number}"
        return f"{street}, {self.postal_code} {self.city}"


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    BUSINESS = "business", _("Business")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PAPER = "paper", _("Paper")
    PORTAL = "portal", _("Customer portal")
    SMS = "sms", _("SMS")


class Customer(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="customers")
    number = models.CharField(_("customer number"), max_length=32)
    kind = models.CharField(_("kind"), max_length=16, choices=CustomerKind.choices)
    first_name = models.CharField(_("first name"), max_length=80, blank=True)
    last_name = models.CharField(_("last name"), max_length=120, blank=True)
    business_name = models.CharField(_("business name"), max_length=250, blank=True)
    pesel = models.CharField(_("PESEL"), max_length=11, blank=True)
    nip = models.CharField(_("NIP"), max_length=10, blank=True)
    regon = models.CharField(_("REGON"), max_length=14, blank=True)
    krs = models.CharField(_("KRS"), max_length=10, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=16, choices=Channel.choices, default=Channel.EMAIL
    )
    language = models.CharField(_("language"), max_length=5, default="pl")
    segment = models.CharField(_("segment"), max_length=64, blank=True)
    is_vulnerable = models.BooleanField(
        _("vulnerable customer"),
        default=False,
        help_text=_("Protected by law (e.g. odbiorca wrażliwy): collections never disconnect them."),
    )
    address = models.ForeignKey(
        Address, verbose_name=_("address"), on_delete=models.PROTECT, related_name="+"
    )
    correspondence_address = models.ForeignKey(
        Address,
        verbose_name=_("correspondence address"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    search_text = models.CharField(max_length=500, editable=False, default="")
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="customer_unique_number"),
            models.UniqueConstraint(
                fields=["company", "pesel"], condition=~Q(pesel=""), name="customer_unique_pesel"
            ),
            models.UniqueConstraint(
                fields=["company", "nip"], condition=~Q(nip=""), name="customer_unique_nip"
            ),
            models.UniqueConstraint(
                fields=["company", "external_id"],
                condition=~Q(external_id=""),
                name="customer_unique_external_id",
            ),
            models.CheckConstraint(
                condition=(Q(kind="person") & ~Q(last_name="")) | (Q(kind="business") & ~Q(business_name="")),
                name="customer_has_name",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "email"], name="customer_email_idx"),
            models.Index(fields=["company", "phone"], name="customer_phone_idx"),
            models.Index(fields=["nip"], name="customer_nip_idx"),
            models.Index(fields=["pesel"], name="customer_pesel_idx"),
        ]

    @property
    def display_name(self) -> str:
        if self.kind == CustomerKind.BUSINESS:
            return self.business_name
        return f"{self.first_name} {self.last_name}".strip()

    def __str__(self) -> str:
        return f"{self.display_name} ({self.number})"


class ContactPerson(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=120)
    role = models.CharField(_("role"), max_length=64, blank=True, help_text=_("From the contact roles list."))
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_signing_person = models.BooleanField(_("signing person"), default=False)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["-is_signing_person", "last_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ConsentKind(models.TextChoices):
    PROCESSING = "processing", _("Processing of personal data")
    MARKETING = "marketing", _("Marketing")
    E_INVOICE = "e_invoice", _("Electronic invoices")


class Consent(models.Model):
    """A consent as given; a withdrawal closes it and a new grant opens a new record."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("consent"), max_length=32, choices=ConsentKind.choices)
    granted_at = models.DateTimeField(_("granted at"))
    source = models.CharField(_("source"), max_length=64)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["kind", "-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind"],
                condition=Q(withdrawn_at__isnull=True),
                name="consent_one_active_per_kind",
            ),
        ]

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None
