"""Use cases of supply points and meters."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import AuditEntry, Company
from kilowatt.core.operations import audit_record, event_record, model_snapshot
from kilowatt.core.territories import UnsupportedCountry, territory_for
from kilowatt.core.validation import FieldErrors
from kilowatt.network.models import (
    Commodity,
    ConsumptionBand,
    Direction,
    DistributionArea,
    Dso,
    Meter,
    MeterInstallation,
    MeterRegister,
    SupplyPoint,
    SupplyPointStatus,
    TariffGroup,
    Zone,
)
from kilowatt.parties.models import Address, Customer
from kilowatt.parties.operations import AddressData, address_clean


@dataclass
class SupplyPointData:
    code: str
    commodity: str
    dso_id: int | None
    tariff_group_id: int | None
    annual_consumption_kwh: Decimal | str | None
    address: AddressData
    country: str = "PL"
    legacy_code: str = ""
    area_id: int | None = None
    contracted_capacity_kw: Decimal | str | None = None
    phases: int | None = None
    status: str = SupplyPointStatus.PROSPECT
    extra: dict = field(default_factory=dict)


def _decimal(
    errors: FieldErrors, name: str, value: Decimal | str | None, *, required: bool
) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.require(name, None)
        return None
    try:
        number = Decimal(str(value).replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        errors.add(name, _("Enter a number."))
        return None
    if not number.is_finite():
        errors.add(name, _("Enter a number."))
        return None
    return number


def consumption_band_for(
    *, country: str, commodity: str, household: bool, annual_kwh: Decimal, on_date: date
) -> ConsumptionBand | None:
    bands = ConsumptionBand.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=on_date),
        country=country,
        commodity=commodity,
        valid_from__lte=on_date,
        lower_kwh__lte=annual_kwh,
    ).filter(Q(upper_kwh__isnull=True) | Q(upper_kwh__gt=annual_kwh))
    if not household:
        bands = bands.filter(households_only=False)
    return bands.order_by("-households_only", "-valid_from").first()


def supply_point_clean(
    *, company: Company, data: SupplyPointData, existing: SupplyPoint | None = None
) -> tuple[dict, AddressData]:
    """Validate supply point input and return model fields; raise ValidationFailed on any bad field."""
    errors = FieldErrors()
    country = (data.country or "PL").upper()
    code = (data.code or "").strip()
    if data.commodity not in Commodity.values:
        errors.add("commodity", _("Choose electricity or gas."))
    try:
        check = territory_for(country).supply_point_code_check(data.commodity)
    except UnsupportedCountry as exc:
        errors.add("country", exc.message)
        check = None
    if not code:
        errors.require("code", code)
    elif check is None and data.commodity in Commodity.values:
        errors.add("country", _("Supply points of this country and commodity are not supported yet."))
    elif check is not None:
        code = errors.check("code", check, code)
    dso = Dso.objects.filter(pk=data.dso_id).first() if data.dso_id else None
    if dso is None:
        errors.add("dso_id", _("Choose the DSO."), code="required")
    elif not errors.has("code") and code and dso.gs1_prefix and country == "PL":
        gsrn = code[4:] if data.commodity == Commodity.GAS else code
        if not gsrn.startswith(dso.gs1_prefix):
            errors.add(
                "code",
                _("This code does not belong to %(dso)s: its codes begin with %(prefix)s.")
                % {"dso": dso.name, "prefix": dso.gs1_prefix},
            )
    tariff_group = (
        TariffGroup.objects.filter(pk=data.tariff_group_id).first() if data.tariff_group_id else None
    )
    if tariff_group is None:
        errors.add("tariff_group_id", _("Choose the tariff group."), code="required")
    elif tariff_group.commodity != data.commodity:
        errors.add("tariff_group_id", _("This tariff group is for another commodity."))
    area = None
    if data.area_id:
        area = DistributionArea.objects.filter(pk=data.area_id, dso=dso).first()
        if area is None:
            errors.add("area_id", _("This area does not belong to the chosen DSO."))
    annual = _decimal(errors, "annual_consumption_kwh", data.annual_consumption_kwh, required=True)
    if annual is not None and annual < 0:
        errors.add("annual_consumption_kwh", _("Consumption cannot be negative."))
    capacity = _decimal(errors, "contracted_capacity_kw", data.contracted_capacity_kw, required=False)
    if capacity is not None and capacity <= 0:
        errors.add("contracted_capacity_kw", _("Contracted capacity must be above zero."))
    if data.phases not in (None, 1, 3):
        errors.add("phases", _("A connection has 1 or 3 phases."))
    if data.status not in SupplyPointStatus.values:
        errors.add("status", _("Unknown status."))
    address = address_clean(data=data.address, errors=errors, prefix="address.")
    if code and not errors.has("code"):
        taken = SupplyPoint.objects.filter(company=company, code=code)
        if existing:
            taken = taken.exclude(pk=existing.pk)
        holder = taken.select_related("customer").first()
        if holder:
            errors.add(
                "code",
                _("Supply point %(code)s is already in use by customer %(customer)s.")
                % {"code": code, "customer": holder.customer.number},
                code="duplicate",
            )
    errors.raise_if_any()
    fields = {
        "code": code,
        "country": country,
        "commodity": data.commodity,
        "dso": dso,
        "area": area,
        "tariff_group": tariff_group,
        "annual_consumption_kwh": annual,
        "contracted_capacity_kw": capacity,
        "phases": data.phases,
        "legacy_code": data.legacy_code.strip(),
        "status": data.status,
    }
    return fields, address


def _band_code(fields: dict, on_date: date) -> str:
    band = consumption_band_for(
        country=fields["country"],
        commodity=fields["commodity"],
        household=fields["tariff_group"].is_household,
        annual_kwh=fields["annual_consumption_kwh"],
        on_date=on_date,
    )
    return band.code if band else ""


def _snapshot(supply_point: SupplyPoint) -> dict:
    snapshot = model_snapshot(supply_point)
    for key in ("created_at", "updated_at", "address_id"):
        snapshot.pop(key, None)
    snapshot["address"] = str(supply_point.address)
    return snapshot


@transaction.atomic
def supply_point_create(
    *,
    company: Company,
    customer: Customer,
    data: SupplyPointData,
    actor: AbstractBaseUser | None,
    now: datetime,
) -> SupplyPoint:
    """Register a supply point of a customer. Raises ValidationFailed."""
    if customer.company_id != company.pk:
        raise ValidationFailed.single("customer_id", _("Customer not found."), code="not_found")
    fields, address = supply_point_clean(company=company, data=data)
    supply_point = SupplyPoint.objects.create(
        company=company,
        customer=customer,
        address=Address.objects.create(**asdict(address)),
        consumption_band=_band_code(fields, now.date()),
        created_at=now,
        updated_at=now,
        **fields,
    )
    audit_record(
        company=company,
        instance=supply_point,
        action=AuditEntry.Action.CREATED,
        before=None,
        after=_snapshot(supply_point),
        actor=actor,
        at=now,
    )
    event_record(
        company=company,
        name="network.supply_point.created-v1",
        payload={"supply_point_id": supply_point.pk, "code": supply_point.code, "customer_id": customer.pk},
        occurred_at=now,
    )
    return supply_point


@transaction.atomic
def supply_point_update(
    *, supply_point: SupplyPoint, data: SupplyPointData, actor: AbstractBaseUser | None, now: datetime
) -> SupplyPoint:
    supply_point = SupplyPoint.objects.select_for_update().select_related("address").get(pk=supply_point.pk)
    before = _snapshot(supply_point)
    fields, address = supply_point_clean(company=supply_point.company, data=data, existing=supply_point)
    for name, value in fields.items():
        setattr(supply_point, name, value)
    for name, value in asdict(address).items():
        setattr(supply_point.address, name, value)
    supply_point.address.save()
    supply_point.consumption_band = _band_code(fields, now.date())
    supply_point.updated_at = now
    supply_point.save()
    audit_record(
        company=supply_point.company,
        instance=supply_point,
        action=AuditEntry.Action.UPDATED,
        before=before,
        after=_snapshot(supply_point),
        actor=actor,
        at=now,
    )
    return supply_point


@dataclass
class RegisterData:
    code: str
    zone: str
    direction: str = Direction.IMPORT
    unit: str = "kWh"
    digits: int = 6


@transaction.atomic
def meter_create(
    *,
    company: Company,
    serial_number: str,
    commodity: str,
    registers: list[RegisterData],
    multiplier: Decimal | str = Decimal("1"),
    manufacturer: str = "",
    is_smart: bool = False,
    actor: AbstractBaseUser | None,
    now: datetime,
) -> Meter:
    errors = FieldErrors()
    serial_number = (serial_number or "").strip()
    errors.require("serial_number", serial_number)
    if commodity not in Commodity.values:
        errors.add("commodity", _("Choose electricity or gas."))
    factor = _decimal(errors, "multiplier", multiplier, required=True)
    if factor is not None and factor <= 0:
        errors.add("multiplier", _("The multiplier must be above zero."))
    if not registers:
        errors.add("registers", _("A meter needs at least one register."), code="required")
    seen: set[str] = set()
    for index, register in enumerate(registers):
        if register.zone not in Zone.values:
            errors.add(f"registers[{index}].zone", _("Unknown zone."))
        if register.direction not in Direction.values:
            errors.add(f"registers[{index}].direction", _("Unknown direction."))
        if not register.code.strip() or register.code in seen:
            errors.add(f"registers[{index}].code", _("Each register needs its own code."))
        seen.add(register.code)
    if serial_number and Meter.objects.filter(company=company, serial_number=serial_number).exists():
        errors.add("serial_number", _("A meter with this serial number already exists."), code="duplicate")
    errors.raise_if_any()
    meter = Meter.objects.create(
        company=company,
        serial_number=serial_number,
        commodity=commodity,
        multiplier=factor,
        manufacturer=manufacturer,
        is_smart=is_smart,
    )
    MeterRegister.objects.bulk_create(MeterRegister(meter=meter, **asdict(r)) for r in registers)
    audit_record(
        company=company,
        instance=meter,
        action=AuditEntry.Action.CREATED,
        before=None,
        after={**model_snapshot(meter), "registers": [r.code for r in registers]},
        actor=actor,
        at=now,
    )
    return meter


@transaction.atomic
def meter_install(
    *,
    meter: Meter,
    supply_point: SupplyPoint,
    installed_on: date,
    actor: AbstractBaseUser | None,
    now: datetime,
) -> MeterInstallation:
    """Mount a meter at a supply point from ``installed_on``. Raises ValidationFailed."""
    errors = FieldErrors()
    if meter.company_id != supply_point.company_id:
        errors.add("meter_id", _("Meter not found."), code="not_found")
    if meter.commodity != supply_point.commodity:
        errors.add("meter_id", _("This meter measures another commodity."))
    if MeterInstallation.objects.filter(meter=meter, removed_on__isnull=True).exists():
        errors.add("meter_id", _("This meter is still installed elsewhere; remove it first."))
    current = MeterInstallation.objects.filter(supply_point=supply_point, removed_on__isnull=True).first()
    if current and current.installed_on >= installed_on:
        errors.add("installed_on", _("The supply point has a meter installed on or after this date."))
    errors.raise_if_any()
    if current:
        current.removed_on = installed_on
        current.save(update_fields=["removed_on"])
    installation = MeterInstallation.objects.create(
        meter=meter, supply_point=supply_point, installed_on=installed_on
    )
    audit_record(
        company=supply_point.company,
        instance=supply_point,
        action=AuditEntry.Action.UPDATED,
        before={"meter": current.meter.serial_number if current else None},
        after={"meter": meter.serial_number, "installed_on": installed_on.isoformat()},
        actor=actor,
        at=now,
    )
    return installation


@transaction.atomic
def meter_remove(
    *, installation: MeterInstallation, removed_on: date, actor: AbstractBaseUser | None, now: datetime
) -> MeterInstallation:
    if installation.removed_on is not None:
        raise ValidationFailed.single("removed_on", _("This meter has already been removed."))
    if removed_on <= installation.installed_on:
        raise ValidationFailed.single("removed_on", _("A meter is removed after it was installed."))
    installation.removed_on = removed_on
    installation.save(update_fields=["removed_on"])
    audit_record(
        company=installation.supply_point.company,
        instance=installation.supply_point,
        action=AuditEntry.Action.UPDATED,
        before={"meter": installation.meter.serial_number},
        after={"meter": None, "removed_on": removed_on.isoformat()},
        actor=actor,
        at=now,
    )
    return installation


# Standard OBIS codes of the active-energy registers per zone (import direction).
OBIS_BY_ZONE = {
    Zone.ALL_DAY: "1.8.0",
    Zone.PEAK: "1.8.1",
    Zone.MORNING_PEAK: "1.8.1",
    Zone.OFF_PEAK: "1.8.2",
    Zone.AFTERNOON_PEAK: "1.8.3",
}


@transaction.atomic
def meter_mount_new(
    *,
    supply_point: SupplyPoint,
    serial_number: str,
    installed_on: date,
    manufacturer: str = "",
    multiplier: Decimal | str = Decimal("1"),
    actor: AbstractBaseUser | None,
    now: datetime,
) -> MeterInstallation:
    """A new meter, with one register per zone of the point's tariff group, mounted at the point.

    The meter in place so far (if any) is removed on the same day. Raises ValidationFailed.
    """
    zones = supply_point.tariff_group.zones or [Zone.ALL_DAY]
    unit = "m3" if supply_point.commodity == Commodity.GAS else "kWh"
    meter = meter_create(
        company=supply_point.company,
        serial_number=serial_number,
        commodity=supply_point.commodity,
        registers=[
            RegisterData(code=OBIS_BY_ZONE.get(zone, "1.8.0"), zone=zone, unit=unit) for zone in zones
        ],
        multiplier=multiplier,
        manufacturer=manufacturer,
        actor=actor,
        now=now,
    )
    return meter_install(
        meter=meter, supply_point=supply_point, installed_on=installed_on, actor=actor, now=now
    )
