"""Contracts: the record linking customer, supply points, product and price list."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kilowatt.catalog.models import PriceList, Product
from kilowatt.channels.models import Organisation
from kilowatt.core.models import Company
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import ContactPerson, Customer


class ContractKind(models.TextChoices):
    SALES = "sales", _("Sales only")
    COMPREHENSIVE = "comprehensive", _("Comprehensive (sales and distribution)")
    DISTRIBUTION = "distribution", _("Distribution")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")
    ACTIVE = "active", _("In force")
    TERMINATED = "terminated", _("Terminated")
    ENDED = "ended", _("Ended")
    WITHDRAWN = "withdrawn", _("Withdrawn by the customer (within the legal period)")


BILLING_CYCLES = [(1, _("monthly")), (2, _("every 2 months")), (6, _("every 6 months")), (12, _("yearly"))]


class Contract(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="contracts")
    number = models.CharField(_("contract number"), max_length=40)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ContractKind.choices)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="contracts"
    )
    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.PROTECT, related_name="contracts"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    start_date = models.DateField(_("supply from"))
    end_date = models.DateField(_("supply until (excluded)"), null=True, blank=True)
    billing_cycle_months = models.PositiveSmallIntegerField(
        _("billing cycle"), choices=BILLING_CYCLES, default=2
    )
    forecast_billing = models.BooleanField(
        _("forecast invoices between settlements"),
        default=False,
        help_text=_(
            "Monthly forecast invoices within a billing cycle longer than a month, then a settlement."
        ),
    )
    payment_term_days = models.PositiveSmallIntegerField(_("payment term (days)"), default=14)
    notice_period_days = models.PositiveSmallIntegerField(_("notice period (days)"), default=30)
    early_termination_fee = models.DecimalField(
        _("early termination fee (PLN)"), max_digits=12, decimal_places=2, default=0
    )
    early_termination_fee_per_month = models.DecimalField(
        _("early termination fee per month left (PLN)"), max_digits=12, decimal_places=2, default=0
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("sales organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "The partner organisation (or branch) that brought it; empty for the company's own staff."
        ),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The salesperson who won it (partner agent or own staff)."),
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
    )
    offer_version = models.OneToOneField(
        "sales.OfferVersion",
        verbose_name=_("accepted offer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contract",
    )
    renewal_of = models.ForeignKey(
        "self",
        verbose_name=_("renews contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewals",
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="contract_unique_number"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=F("start_date")),
                name="contract_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(billing_cycle_months__in=[1, 2, 6, 12]), name="contract_billing_cycle"
            ),
            models.CheckConstraint(condition=Q(early_termination_fee__gte=0), name="contract_fee_nonneg"),
            models.CheckConstraint(
                condition=Q(early_termination_fee_per_month__gte=0), name="contract_monthly_fee_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ContractSupplyPoint(models.Model):
    """A supply point covered by a contract over ``[valid_from, valid_to)``."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="supply_point_links")
    supply_point = models.ForeignKey(SupplyPoint, on_delete=models.PROTECT, related_name="contract_links")
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until (excluded)"), null=True, blank=True)

    class Meta:
        verbose_name = _("contract supply point")
        verbose_name_plural = _("contract supply points")
        constraints = [
            models.UniqueConstraint(fields=["contract", "supply_point"], name="contract_supply_point_unique"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="contract_sp_period",
            ),
        ]


class ContractSigner(models.Model):
    """A person who signs the contract for the customer, copied from the customer's contacts so the
    contract keeps the name, e-mail and phone it was signed with."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="signers")
    contact = models.ForeignKey(
        ContactPerson,
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=120)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    role = models.CharField(_("role"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("signing person")
        verbose_name_plural = _("signing persons")
        ordering = ["id"]

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def __str__(self) -> str:
        return self.name


class ContractDocumentKind(models.TextChoices):
    CONTRACT = "contract", _("Contract")
    SIGNED_CONTRACT = "signed_contract", _("Signed contract")
    ANNEX = "annex", _("Annex")
    SIGNED_ANNEX = "signed_annex", _("Signed annex")
    TERMINATION = "termination", _("Termination")
    ATTACHMENT = "attachment", _("Attachment")


class ContractDocument(models.Model):
    """A file of a contract kept byte for byte: what was signed must be the file that is shown."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="documents")
    annex = models.ForeignKey(
        "sales.ContractAnnex", on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=ContractDocumentKind.choices)
    file_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100, default="application/pdf")
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("contract document")
        verbose_name_plural = _("contract documents")
        ordering = ["-created_at", "-id"]


class ContractTemplateKind(models.TextChoices):
    CONTRACT = "contract", _("Contract")
    ANNEX = "annex", _("Annex")
    TERMINATION = "termination", _("Termination")


class ContractTemplate(models.Model):
    """The company's own wording of a document: HTML with {{ placeholders }}, edited by an administrator.
    Without one the wording shipped with Kilowatt is used."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="contract_templates")
    kind = models.CharField(_("kind"), max_length=16, choices=ContractTemplateKind.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    body = models.TextField(_("body (HTML with placeholders)"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        constraints = [
            models.UniqueConstraint(fields=["company", "kind", "language"], name="contract_template_once")
        ]
