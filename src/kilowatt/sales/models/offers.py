"""Offer templates, offers and their versions: every change of an offer is a new version, and the
versions sent before stay as they were."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kilowatt.catalog.models import CompetitorPriceList, PriceList, Product
from kilowatt.core.models import Company

from .contracts import BILLING_CYCLES, Contract, ContractKind
from .leads import Opportunity


class OfferTemplate(models.Model):
    """A product with its commercial terms and wording, from which offers are made."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="offer_templates")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    contract_kind = models.CharField(
        _("contract kind"), max_length=16, choices=ContractKind.choices, default=ContractKind.COMPREHENSIVE
    )
    term_months = models.PositiveSmallIntegerField(
        _("contract term (months)"), null=True, blank=True, help_text=_("Empty: an indefinite contract.")
    )
    validity_days = models.PositiveSmallIntegerField(_("offer valid for (days)"), default=14)
    payment_term_days = models.PositiveSmallIntegerField(_("payment term (days)"), default=14)
    billing_cycle_months = models.PositiveSmallIntegerField(
        _("billing cycle"), choices=BILLING_CYCLES, default=2
    )
    notice_period_days = models.PositiveSmallIntegerField(_("notice period (days)"), default=30)
    early_termination_fee = models.DecimalField(
        _("early termination fee (PLN)"), max_digits=12, decimal_places=2, default=0
    )
    early_termination_fee_per_month = models.DecimalField(
        _("early termination fee per month left (PLN)"), max_digits=12, decimal_places=2, default=0
    )
    intro_pl = models.TextField(_("introduction (Polish)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("offer template")
        verbose_name_plural = _("offer templates")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="offer_template_code_once")]

    def __str__(self) -> str:
        return self.name


class OfferStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent to the customer")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Offer(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="offers")
    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("opportunity"), on_delete=models.PROTECT, related_name="offers"
    )
    number = models.CharField(_("offer number"), max_length=40)
    template = models.ForeignKey(
        OfferTemplate, verbose_name=_("offer template"), on_delete=models.PROTECT, related_name="offers"
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="pl")
    status = models.CharField(
        _("status"), max_length=16, choices=OfferStatus.choices, default=OfferStatus.DRAFT
    )
    latest_version = models.PositiveIntegerField(_("latest version"), default=0)
    accepted_version = models.OneToOneField(
        "sales.OfferVersion",
        verbose_name=_("accepted version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reject_reason = models.CharField(_("reason of rejection"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["company", "number"], name="offer_number_once")]

    def __str__(self) -> str:
        return self.number


class OfferVersion(models.Model):
    """The terms and the computed comparison of an offer as they were at one moment; never changed."""

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField(_("supply from"))
    end_date = models.DateField(_("supply until (excluded)"), null=True, blank=True)
    valid_until = models.DateField(_("offer valid until (included)"))
    payment_term_days = models.PositiveSmallIntegerField(_("payment term (days)"))
    billing_cycle_months = models.PositiveSmallIntegerField(_("billing cycle"), choices=BILLING_CYCLES)
    notice_period_days = models.PositiveSmallIntegerField(_("notice period (days)"))
    early_termination_fee = models.DecimalField(
        _("early termination fee (PLN)"), max_digits=12, decimal_places=2, default=0
    )
    early_termination_fee_per_month = models.DecimalField(
        _("early termination fee per month left (PLN)"), max_digits=12, decimal_places=2, default=0
    )
    current_competitor = models.ForeignKey(
        CompetitorPriceList,
        verbose_name=_("current supplier's prices"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    current_contract = models.ForeignKey(
        Contract,
        verbose_name=_("current contract with us"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    comparison = models.JSONField(_("comparison"), default=dict)
    offer_gross = models.DecimalField(
        _("yearly cost under the offer (gross)"), max_digits=14, decimal_places=2
    )
    current_gross = models.DecimalField(
        _("yearly cost now (gross)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    saving = models.DecimalField(
        _("saving a year (gross)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    saving_percent = models.DecimalField(
        _("saving (%)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("offer version")
        verbose_name_plural = _("offer versions")
        ordering = ["offer", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "version"], name="offer_version_once"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=models.F("start_date")),
                name="offer_version_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer.number} v{self.version}"
