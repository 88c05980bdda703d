"""Leads: typed in, imported from a spreadsheet, or sent by a lead platform through the API.

Every identifier is validated and stored normalised (NIP and PESEL digits, the phone in E.164, the e-mail
in lower case, the supply point code upper case), so a duplicate — the same NIP, PESEL, e-mail, phone or
supply point as a lead or a customer of the company — is found by equality. A duplicate is refused with
the field and the record it repeats, unless the caller keeps it on purpose (it is then marked as the
duplicate of that lead). A platform's lead carries its id there: sending it again changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kilowatt.channels.models import Agent
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.identifiers import nip_validate, pesel_validate, ppe_pl_validate, ppg_pl_validate
from kilowatt.core.models import Company, ImportBatch
from kilowatt.core.phones import phone_normalise
from kilowatt.core.tabular import table_rows_read
from kilowatt.core.validation import FieldErrors
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Customer
from kilowatt.sales.models import Campaign, Lead

IMPORT_KIND = "leads"
DUPLICATE_FIELDS = ("nip", "pesel", "email", "phone", "supply_point_code")


@dataclass
class LeadData:
    kind: str = "person"
    first_name: str = ""
    last_name: str = ""
    business_name: str = ""
    nip: str = ""
    pesel: str = ""
    email: str = ""
    phone: str = ""
    supply_point_code: str = ""
    city: str = ""
    commodity: str = ""
    annual_consumption_kwh: str = ""
    source: str = ""
    external_id: str = ""
    campaign: str = ""  # the campaign's code
    notes: str = ""


COLUMNS = [f.name for f in fields(LeadData)]


@dataclass(frozen=True)
class Duplicate:
    field: str
    lead_id: int | None
    customer_id: int | None
    label: str


def _supply_point_code(value: str) -> str:
    """A PPE (electricity, 590…) or PPG (gas) code in its normal form."""
    code = value.strip().upper().replace(" ", "")
    return ppe_pl_validate(code) if code.startswith("590") else ppg_pl_validate(code)


def lead_clean(*, company: Company, data: LeadData) -> tuple[dict, Campaign | None]:
    """Validate and normalise; ValidationFailed lists every bad field."""
    errors = FieldErrors()
    if data.kind not in ("person", "business"):
        errors.add("kind", _("Choose a person or a business."))
    if data.kind == "person" and not (data.first_name.strip() or data.last_name.strip()):
        errors.add("last_name", _("Give the person's name."), code="required")
    if data.kind == "business" and not data.business_name.strip():
        errors.add("business_name", _("Give the business name."), code="required")
    values = {
        "kind": data.kind,
        "first_name": data.first_name.strip()[:80],
        "last_name": data.last_name.strip()[:120],
        "business_name": data.business_name.strip()[:250],
        "nip": errors.check("nip", nip_validate, data.nip) if data.nip.strip() else "",
        "pesel": errors.check("pesel", pesel_validate, data.pesel) if data.pesel.strip() else "",
        "email": errors.email("email", data.email).lower(),
        "phone": errors.check("phone", phone_normalise, data.phone) if data.phone.strip() else "",
        "supply_point_code": errors.check("supply_point_code", _supply_point_code, data.supply_point_code)
        if data.supply_point_code.strip()
        else "",
        "city": data.city.strip()[:80],
        "commodity": data.commodity.strip().lower(),
        "source": data.source.strip()[:64],
        "external_id": data.external_id.strip()[:64],
        "notes": data.notes.strip(),
        "annual_consumption_kwh": None,
    }
    if values["commodity"] not in ("", "electricity", "gas"):
        errors.add("commodity", _("Choose electricity or gas."))
    if data.annual_consumption_kwh.strip():
        try:
            kwh = Decimal(data.annual_consumption_kwh.strip().replace(",", ".").replace(" ", ""))
            if kwh < 0:
                raise InvalidOperation
            values["annual_consumption_kwh"] = kwh
        except InvalidOperation:
            errors.add("annual_consumption_kwh", _("Give the yearly consumption in kWh, e.g. 2500."))
    reachable = any(values[name] for name in ("email", "phone", "nip", "pesel", "supply_point_code"))
    if not reachable and not errors.has("email") and not errors.has("phone"):
        errors.add(
            "phone", _("Give at least a phone number or an e-mail to reach the lead."), code="required"
        )
    campaign = None
    if data.campaign.strip():
        campaign = Campaign.objects.filter(company=company, code=data.campaign.strip()).first()
        if campaign is None:
            errors.add("campaign", _("No campaign with this code."))
    errors.raise_if_any()
    return values, campaign


def lead_duplicates(*, company: Company, values: dict) -> list[Duplicate]:
    """Leads and customers of the company sharing an identifier with these values."""
    found: list[Duplicate] = []
    for name in DUPLICATE_FIELDS:
        value = values.get(name)
        if not value:
            continue
        lead = Lead.objects.filter(company=company, **{name: value}).first()
        if lead is not None:
            found.append(Duplicate(name, lead.pk, None, lead.display_name))
        if name == "supply_point_code":
            point = SupplyPoint.objects.filter(company=company, code=value).select_related("customer").first()
            if point is not None:
                found.append(Duplicate(name, None, point.customer_id, point.customer.display_name))
            continue
        customer = Customer.objects.filter(Q(company=company) & Q(**{name: value})).first()
        if customer is not None:
            found.append(Duplicate(name, None, customer.pk, customer.display_name))
    return found


def _duplicate_error(duplicates: list[Duplicate]) -> ValidationFailed:
    first = duplicates[0]
    label = str(Lead._meta.get_field(first.field).verbose_name)
    if first.lead_id:
        message = _("The same %(field)s as the lead %(name)s (no. %(id)s).") % {
            "field": label,
            "name": first.label,
            "id": first.lead_id,
        }
    else:
        message = _("The same %(field)s as the customer %(name)s.") % {
            "field": first.field,
            "name": first.label,
        }
    return ValidationFailed.single(first.field, message, code="duplicate")


@transaction.atomic
def lead_create(
    *,
    company: Company,
    data: LeadData,
    now: datetime,
    keep_duplicate: bool = False,
    agent: Agent | None = None,
) -> Lead:
    """Store a lead. A lead already received from the same source with the same id is returned as it was;
    a duplicate is refused (ValidationFailed, code ``duplicate``) unless ``keep_duplicate``.

    A lead typed in by a partner ``agent`` belongs to the agent's organisation; a duplicate is refused
    without naming the lead or customer it matches, which may belong to someone else's channel."""
    if agent is not None and agent.organisation.company_id != company.pk:
        raise ValidationFailed.single("agent", _("The agent does not sell for this company."))
    values, campaign = lead_clean(company=company, data=data)
    if agent is not None:
        values["organisation_id"] = agent.organisation_id
        values["agent_id"] = agent.user_id
    if values["external_id"]:
        known = Lead.objects.filter(
            company=company, source=values["source"], external_id=values["external_id"]
        ).first()
        if known is not None:
            return known
    duplicates = lead_duplicates(company=company, values=values)
    if duplicates and agent is not None:
        raise ValidationFailed.single(
            duplicates[0].field,
            _("This customer is already known to us; ask the back office before going on."),
            code="duplicate",
        )
    if duplicates and not keep_duplicate:
        raise _duplicate_error(duplicates)
    duplicate_of = next((d.lead_id for d in duplicates if d.lead_id), None)
    return Lead.objects.create(
        company=company, campaign=campaign, duplicate_of_id=duplicate_of, created_at=now, **values
    )


@dataclass
class LeadsImportResult:
    batch: ImportBatch
    already_imported: bool = False
    created: int = 0
    duplicates: int = 0
    errors: list[dict] = field(default_factory=list)


def leads_import(
    *, company: Company, file_name: str, content: bytes, actor: AbstractBaseUser | None, now: datetime
) -> LeadsImportResult:
    """Import leads from CSV or XLSX (columns: ``COLUMNS``). Each row in its own savepoint: a bad row or a
    duplicate is reported with its row, column and reason and skipped, the good rows stay. The same file
    twice changes nothing."""
    file_hash = hashlib.sha256(content).hexdigest()
    done = ImportBatch.objects.filter(
        company=company, kind=IMPORT_KIND, file_hash=file_hash, status=ImportBatch.Status.COMPLETED
    ).first()
    if done is not None:
        return LeadsImportResult(done, already_imported=True, errors=list(done.errors))
    rows = table_rows_read(content=content, columns=COLUMNS, required={"kind"})
    result = LeadsImportResult(
        ImportBatch(
            company=company,
            kind=IMPORT_KIND,
            file_name=file_name[:255],
            file_hash=file_hash,
            status=ImportBatch.Status.COMPLETED,
            rows_total=len(rows),
            created_by=actor if actor and actor.is_authenticated else None,
            created_at=now,
        )
    )
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        data = LeadData(**{name: row.get(name, "") for name in COLUMNS})
        try:
            with transaction.atomic():
                lead_create(company=company, data=data, now=now)
            result.created += 1
        except ValidationFailed as failed:
            for error in failed.errors:
                result.errors.append({"row": number, "field": error.field, "message": error.message})
            if any(error.code == "duplicate" for error in failed.errors):
                result.duplicates += 1
    batch = result.batch
    batch.rows_created, batch.rows_failed = result.created, len({e["row"] for e in result.errors})
    batch.rows_done, batch.errors, batch.finished_at = len(rows), result.errors, now
    batch.save()
    return result
