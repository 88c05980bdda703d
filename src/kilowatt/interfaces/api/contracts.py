"""Contracts, products and price lists."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from kilowatt.catalog.models import PriceList, Product
from kilowatt.catalog.queries import price_lists_of_company, products_of_company
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import NotFound
from kilowatt.core.permissions import MANAGE_CONTRACTS, VIEW_MASTER_DATA
from kilowatt.interfaces.api.common import Page, idempotent_create, paginate, require
from kilowatt.sales.models import Contract
from kilowatt.sales.operations import ContractData, contract_change_status, contract_create, contract_update
from kilowatt.sales.queries import contract_of_company, contracts_of_company

router = Router(tags=["contracts and catalog"])


class ContractIn(Schema):
    customer_id: int
    kind: str
    product_id: int
    price_list_id: int
    start_date: date
    end_date: date | None = None
    supply_point_ids: list[int]
    billing_cycle_months: int = 2
    forecast_billing: bool = False
    payment_term_days: int = 14
    notice_period_days: int = 30
    early_termination_fee: Decimal = Decimal("0")


class ContractOut(Schema):
    id: int
    number: str
    customer_id: int
    kind: str
    status: str
    product_id: int
    price_list_id: int
    signed_on: date | None
    start_date: date
    end_date: date | None
    billing_cycle_months: int
    forecast_billing: bool
    payment_term_days: int
    notice_period_days: int
    early_termination_fee: Decimal
    supply_point_ids: list[int]

    @staticmethod
    def resolve_supply_point_ids(obj: Contract) -> list[int]:
        return [link.supply_point_id for link in obj.supply_point_links.all()]


class ContractPage(Page):
    items: list[ContractOut]


class ContractFilters(Schema):
    customer_id: int | None = None
    status: str = ""
    page: int = 1
    page_size: int = 50


class StatusIn(Schema):
    status: str
    on_date: date


def _contract(request: HttpRequest, contract_id: int) -> Contract:
    contract = contract_of_company(company=request.actor.company, contract_id=contract_id)
    if contract is None:
        raise NotFound("Contract not found.")
    return contract


@router.get("/contracts", response=ContractPage, summary="List contracts")
def list_contracts(request: HttpRequest, filters: Query[ContractFilters]):
    require(request, VIEW_MASTER_DATA)
    queryset = contracts_of_company(company=request.actor.company).prefetch_related("supply_point_links")
    if filters.customer_id:
        queryset = queryset.filter(customer_id=filters.customer_id)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    items, page = paginate(queryset.order_by("id"), page=filters.page, page_size=filters.page_size)
    return {**page, "items": items}


@router.post("/contracts", response={201: ContractOut}, summary="Create a draft contract")
def create_contract(request: HttpRequest, payload: ContractIn):
    require(request, MANAGE_CONTRACTS)

    def create():
        contract = contract_create(
            company=request.actor.company,
            data=ContractData(**payload.dict()),
            actor=request.actor.user,
            now=system_clock.now(),
        )
        return contract

    return idempotent_create(
        request, endpoint="contracts.create", payload=payload.dict(), schema=ContractOut, create=create
    )


@router.get("/contracts/{contract_id}", response=ContractOut, summary="Read a contract")
def read_contract(request: HttpRequest, contract_id: int):
    require(request, VIEW_MASTER_DATA)
    return _contract(request, contract_id)


@router.put("/contracts/{contract_id}", response=ContractOut, summary="Update a draft contract")
def update_contract(request: HttpRequest, contract_id: int, payload: ContractIn):
    require(request, MANAGE_CONTRACTS)
    contract = contract_update(
        contract=_contract(request, contract_id),
        data=ContractData(**payload.dict()),
        actor=request.actor.user,
        now=system_clock.now(),
    )
    return _contract(request, contract.pk)


@router.post(
    "/contracts/{contract_id}/status", response=ContractOut, summary="Move a contract along its life cycle"
)
def change_contract_status(request: HttpRequest, contract_id: int, payload: StatusIn):
    require(request, MANAGE_CONTRACTS)
    contract = contract_change_status(
        contract=_contract(request, contract_id),
        status=payload.status,
        on_date=payload.on_date,
        actor=request.actor.user,
        now=system_clock.now(),
    )
    return _contract(request, contract.pk)


class ProductOut(Schema):
    id: int
    code: str
    name: str
    commodity: str
    kind: str
    pricing: str
    is_active: bool


class ComponentOut(Schema):
    kind: str
    zone: str
    tariff_group_code: str | None
    unit: str
    unit_price: Decimal

    @staticmethod
    def resolve_tariff_group_code(obj) -> str | None:
        return obj.tariff_group.code if obj.tariff_group_id else None


class PriceListOut(Schema):
    id: int
    code: str
    name: str
    product_id: int
    valid_from: date
    valid_to: date | None
    vat_rate: Decimal
    excise_included: bool
    components: list[ComponentOut]

    @staticmethod
    def resolve_components(obj: PriceList) -> list:
        return list(obj.components.all())


@router.get("/products", response=list[ProductOut], summary="List products")
def list_products(request: HttpRequest):
    require(request, VIEW_MASTER_DATA)
    return list(products_of_company(company=request.actor.company).order_by("name"))


@router.get("/products/{product_id}", response=ProductOut, summary="Read a product")
def read_product(request: HttpRequest, product_id: int):
    require(request, VIEW_MASTER_DATA)
    product: Product | None = products_of_company(company=request.actor.company).filter(pk=product_id).first()
    if product is None:
        raise NotFound("Product not found.")
    return product


@router.get("/price-lists", response=list[PriceListOut], summary="List price lists with their components")
def list_price_lists(request: HttpRequest, product_id: int | None = None):
    require(request, VIEW_MASTER_DATA)
    queryset = price_lists_of_company(company=request.actor.company).prefetch_related(
        "components__tariff_group"
    )
    if product_id:
        queryset = queryset.filter(product_id=product_id)
    return list(queryset.order_by("id"))


@router.get("/price-lists/{price_list_id}", response=PriceListOut, summary="Read a price list")
def read_price_list(request: HttpRequest, price_list_id: int):
    require(request, VIEW_MASTER_DATA)
    price_list = (
        price_lists_of_company(company=request.actor.company)
        .prefetch_related("components__tariff_group")
        .filter(pk=price_list_id)
        .first()
    )
    if price_list is None:
        raise NotFound("Price list not found.")
    return price_list
