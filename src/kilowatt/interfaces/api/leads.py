"""Leads: the import API for lead platforms, and the list."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema

from kilowatt.core.clock import system_clock
from kilowatt.core.permissions import MANAGE_LEADS
from kilowatt.interfaces.api.common import Page, paginate, require
from kilowatt.sales.leads import LeadData, lead_create
from kilowatt.sales.queries import leads_of_company

router = Router(tags=["leads"])


class LeadIn(Schema):
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
    campaign: str = ""
    notes: str = ""
    keep_duplicate: bool = False


class LeadOut(Schema):
    id: int
    kind: str
    first_name: str
    last_name: str
    business_name: str
    nip: str
    pesel: str
    email: str
    phone: str
    supply_point_code: str
    city: str
    commodity: str
    annual_consumption_kwh: Decimal | None
    source: str
    external_id: str
    campaign_id: int | None
    status: str
    duplicate_of_id: int | None
    created_at: datetime


class LeadPage(Page):
    items: list[LeadOut]


@router.post(
    "/leads",
    response={201: LeadOut},
    summary="Receive a lead (sent again with the same source and external_id: returned as it was)",
)
def create_lead(request: HttpRequest, data: LeadIn):
    require(request, MANAGE_LEADS)
    values = data.dict()
    keep = values.pop("keep_duplicate")
    lead = lead_create(
        company=request.actor.company, data=LeadData(**values), now=system_clock.now(), keep_duplicate=keep
    )
    return JsonResponse(LeadOut.model_validate(lead).model_dump(mode="json"), status=201)


@router.get("/leads", response=LeadPage, summary="Leads, newest first")
def list_leads(request: HttpRequest, status: str = "", page: int = 1, page_size: int = 50):
    require(request, MANAGE_LEADS)
    items, meta = paginate(
        leads_of_company(company=request.actor.company, status=status), page=page, page_size=page_size
    )
    return {**meta, "items": items}
