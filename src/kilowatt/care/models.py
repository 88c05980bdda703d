"""Customer care: tickets with a form per type (fields as data), teams and SLAs in business hours,
outages that group calls, complaints with their legal deadline, correspondence and surveys."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kilowatt.billing.models import Invoice
from kilowatt.channels.models import Organisation
from kilowatt.collections.models import DebtDispute
from kilowatt.core.models import Company, DictionaryEntry
from kilowatt.network.models import DistributionArea, SupplyPoint
from kilowatt.parties.models import Customer
from kilowatt.sales.models import Contract

CATEGORY_DICTIONARY = "ticket_category"


class TicketIcon(models.TextChoices):
    """Icons a ticket type may show in lists (drawn from the back office's own sprite, no CDN)."""

    OUTAGE = "outage", _("Outage")
    INVOICE = "invoice", _("Invoice")
    METER = "meter", _("Meter")
    CONTRACT = "contract", _("Contract")
    COMPLAINT = "complaint", _("Complaint")
    QUESTION = "question", _("Question")
    PAYMENT = "payment", _("Payment")


class Team(models.Model):
    """A group that works tickets (call centre, billing, switching, technical…) in its business hours."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="care_teams")
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=120)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="care_teams", blank=True
    )
    day_starts = models.TimeField(_("business day starts"), default=time(8))
    day_ends = models.TimeField(_("business day ends"), default=time(16))

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="care_team_unique_code"),
            models.CheckConstraint(condition=Q(day_ends__gt=models.F("day_starts")), name="care_team_day"),
        ]

    def __str__(self) -> str:
        return self.name


class TicketType(models.Model):
    """What a ticket is about; its form, SLA and first team are data an administrator edits."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="ticket_types")
    code = models.SlugField(_("code"), max_length=32)
    name_pl = models.CharField(_("name (Polish)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    icon = models.CharField(_("icon"), max_length=16, choices=TicketIcon.choices, default=TicketIcon.QUESTION)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#4b5563",
        help_text=_("Hex colour of the type's badge, e.g. #b91c1c."),
    )
    team = models.ForeignKey(
        Team, verbose_name=_("first team"), on_delete=models.PROTECT, related_name="ticket_types"
    )
    sla_hours = models.PositiveIntegerField(
        _("SLA (business hours to resolve)"),
        help_text=_("Counted in the team's business hours on business days; paused while waiting."),
    )
    is_complaint = models.BooleanField(
        _("complaint"),
        default=False,
        help_text=_("Has a legal answer deadline and a decision with a letter."),
    )
    answer_days = models.PositiveSmallIntegerField(
        _("answer deadline (calendar days)"), default=14, help_text=_("For complaints: 14 days by law.")
    )
    blocks_dunning = models.BooleanField(
        _("blocks dunning while open"), default=False, help_text=_("A complaint about an invoice or a debt.")
    )
    open_in_portal = models.BooleanField(_("customers may file it in the portal"), default=False)
    is_outage = models.BooleanField(_("outage report"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("ticket type")
        verbose_name_plural = _("ticket types")
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="ticket_type_unique_code"),
            models.CheckConstraint(condition=Q(sla_hours__gte=1), name="ticket_type_sla_positive"),
            models.CheckConstraint(
                condition=Q(colour__regex=r"^#[0-9a-fA-F]{6}$"), name="ticket_type_colour"
            ),
        ]

    def name(self, language: str) -> str:
        return self.name_pl if language.startswith("pl") else self.name_en

    def __str__(self) -> str:
        return self.name_en


class FieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    LONG_TEXT = "long_text", _("Long text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    YES_NO = "yes_no", _("Yes / no")


class TicketFormField(models.Model):
    """One field of a ticket type's form. ``required_when_field``/``required_when_value`` make it
    required only when another field holds that value (e.g. 'meter number' when 'reason' = 'meter')."""

    ticket_type = models.ForeignKey(TicketType, on_delete=models.CASCADE, related_name="fields")
    code = models.SlugField(_("code"), max_length=32)
    label_pl = models.CharField(_("label (Polish)"), max_length=120)
    label_en = models.CharField(_("label (English)"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=FieldKind.choices, default=FieldKind.TEXT)
    choices = models.TextField(
        _("choices"),
        blank=True,
        help_text=_("For a choice: one per line, 'code|Polish label|English label'."),
    )
    is_required = models.BooleanField(_("required"), default=False)
    required_when_field = models.SlugField(_("required when field"), max_length=32, blank=True)
    required_when_value = models.CharField(_("… holds the value"), max_length=64, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket_type", "code"], name="ticket_form_field_unique_code"),
        ]

    def label(self, language: str) -> str:
        return self.label_pl if language.startswith("pl") else self.label_en

    def choice_options(self, language: str) -> list[tuple[str, str]]:
        options = []
        for line in self.choices.splitlines():
            parts = [part.strip() for part in line.split("|")]
            if not parts[0]:
                continue
            pl = parts[1] if len(parts) > 1 else parts[0]
            en = parts[2] if len(parts) > 2 else pl
            options.append((parts[0], pl if language.startswith("pl") else en))
        return options

    def __str__(self) -> str:
        return self.code


class TicketChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    PORTAL = "portal", _("Customer portal")
    PARTNER = "partner", _("Partner portal")
    LETTER = "letter", _("Letter")
    OFFICE = "office", _("Customer office")


class TicketStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "New")
    IN_PROGRESS = "in_progress", pgettext_lazy("ticket status", "In progress")
    WAITING_CUSTOMER = "waiting_customer", pgettext_lazy("ticket status", "Waiting for the customer")
    WAITING_THIRD_PARTY = "waiting_third_party", pgettext_lazy("ticket status", "Waiting for a third party")
    RESOLVED = "resolved", pgettext_lazy("ticket status", "Resolved")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")
    MERGED = "merged", pgettext_lazy("ticket status", "Merged")


WAITING_STATUSES = frozenset({TicketStatus.WAITING_CUSTOMER, TicketStatus.WAITING_THIRD_PARTY})
OPEN_STATUSES = frozenset(
    {
        TicketStatus.NEW,
        TicketStatus.IN_PROGRESS,
        TicketStatus.WAITING_CUSTOMER,
        TicketStatus.WAITING_THIRD_PARTY,
    }
)


class ComplaintDecision(models.TextChoices):
    ACCEPTED = "accepted", pgettext_lazy("complaint decision", "Accepted")
    PARTLY = "partly", pgettext_lazy("complaint decision", "Partly accepted")
    REJECTED = "rejected", pgettext_lazy("complaint decision", "Rejected")


class Outage(models.Model):
    """A network failure that dispatchers keep current; calls about it are linked to it."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("outage status", "Active")
        CLOSED = "closed", pgettext_lazy("outage status", "Closed")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="outages")
    number = models.CharField(_("number"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    area = models.ForeignKey(
        DistributionArea,
        verbose_name=_("distribution area"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outages",
    )
    station = models.CharField(_("network station"), max_length=64, blank=True)
    postal_codes = models.CharField(
        _("postal codes affected"), max_length=500, blank=True, help_text=_("Separated by commas or spaces.")
    )
    supply_points = models.ManyToManyField(
        SupplyPoint, verbose_name=_("supply points affected"), related_name="outages", blank=True
    )
    started_at = models.DateTimeField(_("started at"))
    expected_end_at = models.DateTimeField(_("expected end"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    crew = models.CharField(_("crew"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("outage")
        verbose_name_plural = _("outages")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="outage_unique_number"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="outage_end",
            ),
        ]
        indexes = [models.Index(fields=["company", "status"], name="outage_status")]

    def postal_code_list(self) -> list[str]:
        return [code for code in self.postal_codes.replace(",", " ").split() if code]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class OutageNote(models.Model):
    outage = models.ForeignKey(Outage, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(_("progress note"))
    expected_end_at = models.DateTimeField(_("expected end"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]


class Ticket(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="tickets")
    number = models.CharField(_("number"), max_length=40)
    ticket_type = models.ForeignKey(
        TicketType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="tickets"
    )
    category = models.ForeignKey(
        DictionaryEntry,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"dictionary": CATEGORY_DICTIONARY},
    )
    channel = models.CharField(_("channel"), max_length=16, choices=TicketChannel.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    form_data = models.JSONField(_("form"), default=dict, blank=True)
    caller_name = models.CharField(_("caller"), max_length=200, blank=True)
    caller_phone = models.CharField(_("caller's phone"), max_length=20, blank=True)
    caller_email = models.EmailField(_("caller's e-mail"), blank=True)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    supply_point = models.ForeignKey(
        SupplyPoint,
        verbose_name=_("supply point"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    outage = models.ForeignKey(
        Outage,
        verbose_name=_("outage"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("partner organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        help_text=_("The partner whose agent registered it in the partner portal."),
    )
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="care_tickets",
    )
    due_at = models.DateTimeField(_("due (SLA)"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_left_seconds = models.PositiveIntegerField(null=True, blank=True, editable=False)
    sla_breached_at = models.DateTimeField(_("SLA breached at"), null=True, blank=True)
    answer_due_on = models.DateField(_("answer due by (legal deadline)"), null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=16, choices=ComplaintDecision.choices, blank=True)
    decision_text = models.TextField(_("decision's reasons"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    correction_requested = models.BooleanField(_("correction invoice requested"), default=False)
    debt_dispute = models.ForeignKey(
        DebtDispute, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("registered at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="ticket_unique_number"),
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False)
                | (~Q(status="merged") & Q(merged_into=None)),
                name="ticket_merged_has_target",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "status", "created_at"], name="ticket_status"),
            models.Index(fields=["company", "team", "status"], name="ticket_team"),
            models.Index(fields=["company", "due_at"], name="ticket_due"),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def __str__(self) -> str:
        return self.number


class TicketMessageKind(models.TextChoices):
    INBOUND = "inbound", _("From the customer")
    OUTBOUND = "outbound", _("To the customer")
    NOTE = "note", _("Internal note")


class TicketMessage(models.Model):
    """A message in a ticket; merging moves messages to the surviving ticket, never deletes them."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(_("kind"), max_length=16, choices=TicketMessageKind.choices)
    text = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author_name = models.CharField(_("author"), max_length=200, blank=True)
    first_ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, related_name="+", help_text=_("The ticket it was written in.")
    )
    created_at = models.DateTimeField(_("written at"))

    class Meta:
        ordering = ["created_at", "id"]


class TicketEventKind(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    ASSIGNED = "assigned", _("Assigned")
    HANDED_OVER = "handed_over", _("Handed over")
    STATUS = "status", _("Status changed")
    MERGED = "merged", _("Merged")
    OUTAGE_LINKED = "outage_linked", _("Linked to an outage")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    DECIDED = "decided", _("Decision recorded")
    NOTIFIED = "notified", _("Customer informed")
    SURVEY = "survey", _("Survey sent")


class TicketEvent(models.Model):
    """What happened to a ticket, and who holds it after: the trail of hand-overs. Append-only."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=TicketEventKind.choices)
    text = models.CharField(_("text"), max_length=500, blank=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=TicketStatus.choices, blank=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["created_at", "id"]


class Direction(models.TextChoices):
    IN = "in", _("Incoming")
    OUT = "out", _("Outgoing")


class CorrespondenceChannel(models.TextChoices):
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    PORTAL = "portal", _("Portal message")


class Correspondence(models.Model):
    """A letter, e-mail or SMS to or from a customer, with its document; the customer's log."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="correspondence")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="correspondence"
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="correspondence"
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=CorrespondenceChannel.choices)
    recipient = models.CharField(_("to / from"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    file_name = models.CharField(_("document"), max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    content = models.BinaryField(null=True, blank=True, editable=False)
    delivered = models.BooleanField(_("delivered"), default=True)
    failure = models.CharField(_("failure"), max_length=300, blank=True)
    external_id = models.CharField(_("message id"), max_length=255, blank=True, editable=False)
    created_at = models.DateTimeField(_("at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("correspondence")
        verbose_name_plural = _("correspondence")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "created_at"], name="correspondence_customer")]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "external_id"], condition=~Q(external_id=""), name="correspondence_once"
            )
        ]


class Survey(models.Model):
    """A satisfaction survey sent after a ticket is closed; answered once through its link."""

    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, related_name="survey")
    token = models.CharField(max_length=64, unique=True, editable=False)
    channel = models.CharField(_("sent by"), max_length=8, choices=CorrespondenceChannel.choices)
    sent_at = models.DateTimeField(_("sent at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score (1–5)"), null=True, blank=True)
    resolved = models.BooleanField(_("was the matter resolved"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5), name="survey_score_range"
            )
        ]
