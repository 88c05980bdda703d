"""Supply points and meters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from kilowatt.core.clock import system_clock
from kilowatt.core.errors import NotFound
from kilowatt.core.permissions import CHANGE_MASTER_DATA, VIEW_MASTER_DATA
from kilowatt.interfaces.api.common import Page, idempotent_create, paginate, require
from kilowatt.interfaces.api.customers import AddressSchema
from kilowatt.network.models import Meter, SupplyPoint
from kilowatt.network.operations import (
    RegisterData,
    SupplyPointData,
    meter_create,
    meter_install,
    supply_point_create,
    supply_point_update,
)
from kilowatt.network.queries import (
    meter_of_company,
    meters_of_company,
    supply_point_of_company,
    supply_points_of_company,
)
from kilowatt.parties.operations import AddressData
from kilowatt.parties.queries import customer_of_company

router = Router(tags=["supply points and meters"])


class SupplyPointIn(Schema):
    customer_id: int
    code: str
    commodity: str
    country: str = "PL"
    dso_id: int
    tariff_group_id: int
    annual_consumption_kwh: Decimal
    contracted_capacity_kw: Decimal | None = None
    phases: int | None = None
    legacy_code: str = ""
    area_id: int | None = None
    status: str = "prospect"
    address: AddressSchema


class SupplyPointOut(Schema):
    id: int
    customer_id: int
    code: str
    legacy_code: str
    commodity: str
    country: str
    dso_id: int
    tariff_group_id: int
    tariff_group_code: str
    contracted_capacity_kw: Decimal | None
    phases: int | None
    annual_consumption_kwh: Decimal
    consumption_band: str
    status: str
    address: AddressSchema

    @staticmethod
    def resolve_tariff_group_code(obj: SupplyPoint) -> str:
        return obj.tariff_group.code


class SupplyPointPage(Page):
    items: list[SupplyPointOut]


class SupplyPointFilters(Schema):
    customer_id: int | None = None
    commodity: str = ""
    status: str = ""
    code: str = ""
    page: int = 1
    page_size: int = 50


def _point_data(payload: SupplyPointIn) -> SupplyPointData:
    values = payload.dict()
    values.pop("customer_id")
    values["address"] = AddressData(**values["address"])
    return SupplyPointData(**values)


def _point(request: HttpRequest, supply_point_id: int) -> SupplyPoint:
    point = supply_point_of_company(company=request.actor.company, supply_point_id=supply_point_id)
    if point is None:
        raise NotFound("Supply point not found.")
    return point


@router.get("/supply-points", response=SupplyPointPage, summary="List supply points")
def list_supply_points(request: HttpRequest, filters: Query[SupplyPointFilters]):
    require(request, VIEW_MASTER_DATA)
    queryset = supply_points_of_company(company=request.actor.company).order_by("id")
    if filters.customer_id:
        queryset = queryset.filter(customer_id=filters.customer_id)
    for name in ("commodity", "status", "code"):
        if getattr(filters, name):
            queryset = queryset.filter(**{name: getattr(filters, name)})
    items, page = paginate(queryset, page=filters.page, page_size=filters.page_size)
    return {**page, "items": items}


@router.post("/supply-points", response={201: SupplyPointOut}, summary="Create a supply point")
def create_supply_point(request: HttpRequest, payload: SupplyPointIn):
    require(request, CHANGE_MASTER_DATA)

    def create():
        customer = customer_of_company(company=request.actor.company, customer_id=payload.customer_id)
        if customer is None:
            raise NotFound("Customer not found.", field="customer_id")
        point = supply_point_create(
            company=request.actor.company,
            customer=customer,
            data=_point_data(payload),
            actor=request.actor.user,
            now=system_clock.now(),
        )
        return point

    return idempotent_create(
        request, endpoint="supply_points.create", payload=payload.dict(), schema=SupplyPointOut, create=create
    )


@router.get("/supply-points/{supply_point_id}", response=SupplyPointOut, summary="Read a supply point")
def read_supply_point(request: HttpRequest, supply_point_id: int):
    require(request, VIEW_MASTER_DATA)
    return _point(request, supply_point_id)


@router.put("/supply-points/{supply_point_id}", response=SupplyPointOut, summary="Update a supply point")
def update_supply_point(request: HttpRequest, supply_point_id: int, payload: SupplyPointIn):
    require(request, CHANGE_MASTER_DATA)
    point = _point(request, supply_point_id)
    if payload.customer_id != point.customer_id:
        raise NotFound("Customer not found.", field="customer_id")
    return supply_point_update(
        supply_point=point, data=_point_data(payload), actor=request.actor.user, now=system_clock.now()
    )


class RegisterSchema(Schema):
    code: str
    zone: str
    direction: str = "import"
    unit: str = "kWh"
    digits: int = 6


class MeterIn(Schema):
    serial_number: str
    commodity: str
    multiplier: Decimal = Decimal("1")
    manufacturer: str = ""
    is_smart: bool = False
    registers: list[RegisterSchema]


class MeterOut(Schema):
    id: int
    serial_number: str
    commodity: str
    multiplier: Decimal
    manufacturer: str
    is_smart: bool
    registers: list[RegisterSchema]

    @staticmethod
    def resolve_registers(obj: Meter) -> list:
        return list(obj.registers.all())


class MeterPage(Page):
    items: list[MeterOut]


class InstallIn(Schema):
    supply_point_id: int
    installed_on: date


class InstallOut(Schema):
    meter_id: int
    supply_point_id: int
    installed_on: date
    removed_on: date | None


def _meter(request: HttpRequest, meter_id: int) -> Meter:
    meter = meter_of_company(company=request.actor.company, meter_id=meter_id)
    if meter is None:
        raise NotFound("Meter not found.")
    return meter


@router.get("/meters", response=MeterPage, summary="List meters")
def list_meters(request: HttpRequest, page: int = 1, page_size: int = 50, serial_number: str = ""):
    require(request, VIEW_MASTER_DATA)
    queryset = meters_of_company(company=request.actor.company).order_by("id")
    if serial_number:
        queryset = queryset.filter(serial_number=serial_number)
    items, info = paginate(queryset, page=page, page_size=page_size)
    return {**info, "items": items}


@router.post("/meters", response={201: MeterOut}, summary="Create a meter with its registers")
def create_meter(request: HttpRequest, payload: MeterIn):
    require(request, CHANGE_MASTER_DATA)

    def create():
        meter = meter_create(
            company=request.actor.company,
            serial_number=payload.serial_number,
            commodity=payload.commodity,
            registers=[RegisterData(**r.dict()) for r in payload.registers],
            multiplier=payload.multiplier,
            manufacturer=payload.manufacturer,
            is_smart=payload.is_smart,
            actor=request.actor.user,
            now=system_clock.now(),
        )
        return meter

    return idempotent_create(
        request, endpoint="meters.create", payload=payload.dict(), schema=MeterOut, create=create
    )


@router.get("/meters/{meter_id}", response=MeterOut, summary="Read a meter")
def read_meter(request: HttpRequest, meter_id: int):
    require(request, VIEW_MASTER_DATA)
    return _meter(request, meter_id)


@router.post(
    "/meters/{meter_id}/install", response={201: InstallOut}, summary="Install a meter at a supply point"
)
def install_meter(request: HttpRequest, meter_id: int, payload: InstallIn):
    require(request, CHANGE_MASTER_DATA)
    meter = _meter(request, meter_id)
    point = _point(request, payload.supply_point_id)

    def create():
        installation = meter_install(
            meter=meter,
            supply_point=point,
            installed_on=payload.installed_on,
            actor=request.actor.user,
            now=system_clock.now(),
        )
        return installation

    return idempotent_create(
        request,
        endpoint=f"meters.{meter_id}.install",
        payload=payload.dict(),
        schema=InstallOut,
        create=create,
    )
