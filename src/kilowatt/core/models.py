"""Tenancy, staff roles, number series, dictionaries, audit history, outbox, API tokens, imports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Company(models.Model):
    """A retailer: every business record belongs to exactly one company."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    nip = models.CharField(_("NIP"), max_length=10, blank=True)
    country = models.CharField(_("country"), max_length=2, default="PL")
    street = models.CharField(_("street and number"), max_length=120, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    bank_account_prefix = models.CharField(
        _("bank prefix for virtual accounts"),
        max_length=12,
        blank=True,
        help_text=_("Bank routing number and the company's fixed digits of its virtual accounts."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    BACK_OFFICE = "back_office", _("Back office")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    BILLING = "billing", _("Billing")
    FINANCE = "finance", _("Finance")
    COLLECTIONS = "collections", _("Collections")
    CALL_CENTRE = "call_centre", _("Call centre")


class Membership(models.Model):
    """A staff user's role in one company; a user may hold several roles in several companies."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "company", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}: {self.get_role_display()}"


class NumberSeries(models.Model):
    """A gap-free counter per company, document type and year.

    ``next_number`` is taken under a row lock in the same transaction as the document it numbers,
    so a rolled-back document gives its number back and no number is skipped.
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="number_series")
    document_type = models.CharField(_("document type"), max_length=32)
    year = models.PositiveIntegerField(_("year"))
    pattern = models.CharField(
        _("pattern"),
        max_length=64,
        default="{prefix}/{number:06d}/{year}",
        help_text=_("Placeholders: {prefix}, {number}, {year}."),
    )
    prefix = models.CharField(_("prefix"), max_length=16, blank=True)
    next_number = models.PositiveIntegerField(_("next number"), default=1)
    is_closed = models.BooleanField(_("closed"), default=False)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")
        constraints = [
            models.UniqueConstraint(fields=["company", "document_type", "year"], name="number_series_unique"),
            models.CheckConstraint(condition=Q(next_number__gte=1), name="number_series_next_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.company.code} {self.document_type} {self.year}"


class DictionaryEntry(models.Model):
    """A value of a list that staff extend without a release (contact roles, segments, …)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="dictionary_entries")
    dictionary = models.CharField(_("dictionary"), max_length=64)
    code = models.SlugField(_("code"), max_length=64)
    label_pl = models.CharField(_("label (Polish)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("dictionary entry")
        verbose_name_plural = _("dictionary entries")
        ordering = ["dictionary", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "dictionary", "code"], name="dictionary_entry_unique"),
        ]

    def label(self, language: str) -> str:
        return self.label_pl if language.startswith("pl") else self.label_en

    def __str__(self) -> str:
        return f"{self.dictionary}:{self.code}"


class AuditEntry(models.Model):
    """Who changed which master-data record, when, from what to what. Append-only."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")
        DELETED = "deleted", _("deleted")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="audit_entries")
    entity = models.CharField(_("record type"), max_length=64)
    entity_id = models.BigIntegerField(_("record id"))
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=dict, help_text=_("{field: [before, after]}"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["company", "entity", "entity_id", "-at"], name="audit_record_idx")]


class OutboxEvent(models.Model):
    """A domain event recorded in the same transaction as the change; dispatched afterwards."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="outbox_events")
    name = models.CharField(_("name"), max_length=100, help_text=_("domain.entity.action-vN"))
    payload = models.JSONField(_("payload"), default=dict)
    occurred_at = models.DateTimeField(_("occurred at"))
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], condition=Q(dispatched_at__isnull=True), name="outbox_pending_idx"),
        ]


class ApiToken(models.Model):
    """An integration's token: only its SHA-256 is stored; the key is shown once at creation."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The stored answer to a create call made with an ``Idempotency-Key``."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    endpoint = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "endpoint", "key"], name="idempotency_unique_key"),
        ]


class ImportBatch(models.Model):
    """One uploaded file and what became of its rows. The file hash makes a re-import a no-op.

    A file imported in the background is *running* while its rows are read (``rows_done`` of
    ``rows_total``, written as it goes) and *completed* or *failed* at the end; a failed file may be
    imported again. One running or completed batch per company, kind and file."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("previewed (dry run)")
        RUNNING = "running", _("running")
        COMPLETED = "completed", _("completed")
        FAILED = "failed", _("failed")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="import_batches")
    kind = models.CharField(_("kind"), max_length=64)
    file_name = models.CharField(_("file name"), max_length=255)
    file_hash = models.CharField(_("file SHA-256"), max_length=64)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_created = models.PositiveIntegerField(_("rows created"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("rows unchanged"), default=0)
    rows_failed = models.PositiveIntegerField(_("rows failed"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    errors = models.JSONField(_("errors"), default=list, help_text=_("[{row, field, message}]"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    progress_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["company", "kind", "file_hash"], name="import_file_hash_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind", "file_hash"],
                condition=Q(status__in=["running", "completed"]),
                name="import_one_live_batch_per_file",
            ),
        ]
