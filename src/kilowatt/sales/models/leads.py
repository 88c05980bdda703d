"""Campaigns, leads, opportunities with their participants and activities."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kilowatt.channels.models import Organisation
from kilowatt.core.models import Company
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Customer


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
    )
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
    renewal_of = models.ForeignKey(
        "sales.Contract",
        verbose_name=_("renewal of contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewal_opportunities",
    )
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
