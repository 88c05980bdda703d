"""Customers: list, create, read, update."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from kilowatt.core.clock import system_clock
from kilowatt.core.errors import NotFound
from kilowatt.core.permissions import CHANGE_MASTER_DATA, VIEW_MASTER_DATA
from kilowatt.interfaces.api.common import Page, idempotent_create, paginate, require
from kilowatt.parties.models import Customer
from kilowatt.parties.operations import AddressData, CustomerData, customer_create, customer_update
from kilowatt.parties.queries import customer_of_company, customers_of_company, customers_search

router = Router(tags=["customers"])


class AddressSchema(Schema):
    street: str = ""
    building_number: str
    apartment_number: str = ""
    postal_code: str
    city: str
    country: str = "PL"


class CustomerIn(Schema):
    kind: str = Field(description="person or business")
    first_name: str = ""
    last_name: str = ""
    business_name: str = ""
    pesel: str = ""
    nip: str = ""
    regon: str = ""
    krs: str = ""
    email: str = ""
    phone: str = ""
    preferred_channel: str = "email"
    language: str = "pl"
    segment: str = ""
    external_id: str = ""
    address: AddressSchema
    correspondence_address: AddressSchema | None = None


class CustomerOut(Schema):
    id: int
    number: str
    kind: str
    display_name: str
    first_name: str
    last_name: str
    business_name: str
    pesel: str
    nip: str
    regon: str
    krs: str
    email: str
    phone: str
    preferred_channel: str
    language: str
    segment: str
    external_id: str
    address: AddressSchema
    correspondence_address: AddressSchema | None
    created_at: datetime
    updated_at: datetime


class CustomerPage(Page):
    items: list[CustomerOut]


class CustomerFilters(Schema):
    q: str = Field("", description="search text: name, NIP, PESEL, phone, e-mail or customer number")
    kind: str = ""
    nip: str = ""
    pesel: str = ""
    email: str = ""
    page: int = 1
    page_size: int = 50


def _data(payload: CustomerIn) -> CustomerData:
    values = payload.dict()
    values["address"] = AddressData(**values["address"])
    if values["correspondence_address"]:
        values["correspondence_address"] = AddressData(**values["correspondence_address"])
    return CustomerData(**values)


@router.get("/customers", response=CustomerPage, summary="List customers")
def list_customers(request: HttpRequest, filters: Query[CustomerFilters]):
    require(request, VIEW_MASTER_DATA)
    company = request.actor.company
    if filters.q:
        found = customers_search(company=company, text=filters.q, limit=200)
        queryset = customers_of_company(company=company).filter(pk__in=[c.pk for c in found])
    else:
        queryset = customers_of_company(company=company)
    for name in ("kind", "nip", "pesel", "email"):
        if getattr(filters, name):
            queryset = queryset.filter(**{name: getattr(filters, name)})
    queryset = queryset.select_related("correspondence_address").order_by("id")
    items, page = paginate(queryset, page=filters.page, page_size=filters.page_size)
    return {**page, "items": items}


@router.post("/customers", response={201: CustomerOut}, summary="Create a customer")
def create_customer(request: HttpRequest, payload: CustomerIn):
    require(request, CHANGE_MASTER_DATA)

    def create():
        customer = customer_create(
            company=request.actor.company,
            data=_data(payload),
            actor=request.actor.user,
            now=system_clock.now(),
        )
        return customer

    return idempotent_create(
        request, endpoint="customers.create", payload=payload.dict(), schema=CustomerOut, create=create
    )


def _customer(request: HttpRequest, customer_id: int) -> Customer:
    customer = customer_of_company(company=request.actor.company, customer_id=customer_id)
    if customer is None:
        raise NotFound("Customer not found.")
    return customer


@router.get("/customers/{customer_id}", response=CustomerOut, summary="Read a customer")
def read_customer(request: HttpRequest, customer_id: int):
    require(request, VIEW_MASTER_DATA)
    return _customer(request, customer_id)


@router.put("/customers/{customer_id}", response=CustomerOut, summary="Update a customer (full data)")
def update_customer(request: HttpRequest, customer_id: int, payload: CustomerIn):
    require(request, CHANGE_MASTER_DATA)
    customer = _customer(request, customer_id)
    return customer_update(
        customer=customer, data=_data(payload), actor=request.actor.user, now=system_clock.now()
    )
