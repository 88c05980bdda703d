"""Contracts: the record linking customer, supply points, product and price list."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kilowatt.catalog.models import PriceList, Product
from kilowatt.core.models import Company
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Customer


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


class Campaign(models.Model):
    """A marketing campaign: leads and, through them, offers and contracts are counted against it."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="campaigns")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=40, blank=True)
    cost = models.DecimalField(_("cost (PLN)"), max_digits=12, decimal_places=2, default=0)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "name"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="campaign_code_once")]

    def __str__(self) -> str:
        return self.name


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    QUALIFIED = "qualified", _("Qualified")
    CONVERTED = "converted", _("Converted")
    REJECTED = "rejected", _("Rejected")


class Lead(models.Model):
    """A first contact: a person or business who may buy. Identifiers are stored normalised, so
    duplicates (same NIP, PESEL, e-mail, phone or supply point) are found by equality."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="leads")
    kind = models.CharField(
        _("kind"), max_length=16, choices=[("person", _("Person")), ("business", _("Business"))]
    )
    first_name = models.CharField(_("first name"), max_length=80, blank=True)
    last_name = models.CharField(_("last name"), max_length=120, blank=True)
    business_name = models.CharField(_("business name"), max_length=250, blank=True)
    nip = models.CharField(_("NIP"), max_length=10, blank=True)
    pesel = models.CharField(_("PESEL"), max_length=11, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    supply_point_code = models.CharField(_("supply point code"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    commodity = models.CharField(_("commodity"), max_length=16, blank=True)
    annual_consumption_kwh = models.DecimalField(
        _("annual consumption (kWh)"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    source = models.CharField(_("source"), max_length=64, blank=True)
    external_id = models.CharField(_("id at the source"), max_length=64, blank=True)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
    )
    status = models.CharField(_("status"), max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW)
    notes = models.TextField(_("notes"), blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A lead platform sending the same lead again is recognised by its id there.
            models.UniqueConstraint(
                fields=["company", "source", "external_id"],
                condition=~Q(external_id=""),
                name="lead_external_id_once",
            )
        ]
        indexes = [
            models.Index(fields=["company", "nip"], name="lead_nip"),
            models.Index(fields=["company", "pesel"], name="lead_pesel"),
            models.Index(fields=["company", "email"], name="lead_email"),
            models.Index(fields=["company", "phone"], name="lead_phone"),
            models.Index(fields=["company", "supply_point_code"], name="lead_supply_point"),
        ]

    @property
    def display_name(self) -> str:
        if self.kind == "business":
            return self.business_name
        return f"{self.first_name} {self.last_name}".strip()


class OpportunityStage(models.TextChoices):
    QUALIFICATION = "qualification", _("Qualification")
    OFFER = "offer", _("Offer")
    NEGOTIATION = "negotiation", _("Negotiation")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Opportunity(models.Model):
    """A chance to sell to a customer: who owns it, who shares in it, what and how much."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="opportunities")
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="opportunities"
    )
    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    commodity = models.CharField(_("commodity"), max_length=16)
    stage = models.CharField(
        _("stage"), max_length=16, choices=OpportunityStage.choices, default=OpportunityStage.QUALIFICATION
    )
    expected_volume_mwh = models.DecimalField(
        _("expected volume (MWh a year)"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    supply_points = models.ManyToManyField(
        SupplyPoint, verbose_name=_("supply points"), related_name="opportunities", blank=True
    )
    new_supply_point_codes = models.CharField(
        _("supply points not yet known to us"), max_length=500, blank=True
    )
    lost_reason = models.CharField(_("why lost"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class OpportunityParticipant(models.Model):
    """A person sharing in an opportunity; the shares of one opportunity sum to 100 % (commissions)."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    share = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "user"], name="participant_once"),
            models.CheckConstraint(condition=Q(share__gt=0, share__lte=100), name="participant_share_range"),
        ]


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    TASK = "task", _("Task")


class Activity(models.Model):
    """A call, a meeting or a task of an opportunity, with its due time and whether it is done."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["done_at", "due_at", "id"]
