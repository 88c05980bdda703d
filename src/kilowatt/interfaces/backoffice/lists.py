"""Lists with filters, whitelisted sorting, pagination and export of the filtered rows to XLSX."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from kilowatt.core.permissions import MANAGE_LEADS, VIEW_MASTER_DATA
from kilowatt.network.queries import meters_of_company, supply_points_of_company
from kilowatt.parties.queries import customers_of_company, customers_search
from kilowatt.sales.models import LeadStatus
from kilowatt.sales.queries import contracts_of_company, leads_of_company

EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    value: Callable[[Any], Any]
    sort: str | None = None


@dataclass(frozen=True)
class Filter:
    key: str
    label: str | Promise
    apply: Callable[[QuerySet, str, Any], QuerySet]
    choices: list[tuple[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ListSpec:
    key: str
    title: str | Promise
    queryset: Callable[[Any], QuerySet]
    columns: list[Column]
    filters: list[Filter]
    default_sort: str
    detail_url: Callable[[Any], str] | None = None
    permission: str = VIEW_MASTER_DATA


def _text_customers(queryset: QuerySet, value: str, company) -> QuerySet:
    return queryset.filter(pk__in=[c.pk for c in customers_search(company=company, text=value, limit=500)])


def _eq(field_name: str):
    return lambda queryset, value, company: queryset.filter(**{field_name: value})


def _prefix(field_name: str):
    return lambda queryset, value, company: queryset.filter(**{f"{field_name}__startswith": value.strip()})


SPECS: dict[str, ListSpec] = {
    "customers": ListSpec(
        key="customers",
        title=_("Customers"),
        queryset=lambda company: customers_of_company(company=company),
        columns=[
            Column("number", _("Number"), lambda c: c.number, "number"),
            Column("name", _("Name"), lambda c: c.display_name, "last_name"),
            Column("kind", _("Kind"), lambda c: c.get_kind_display(), "kind"),
            Column("nip", _("NIP"), lambda c: c.nip),
            Column("pesel", _("PESEL"), lambda c: c.pesel),
            Column("city", _("City"), lambda c: c.address.city, "address__city"),
            Column("email", _("E-mail"), lambda c: c.email),
            Column("phone", _("Phone"), lambda c: c.phone),
        ],
        filters=[
            Filter("q", _("Name, NIP, PESEL, phone or e-mail"), _text_customers),
            Filter("kind", _("Kind"), _eq("kind"), [("person", _("Person")), ("business", _("Business"))]),
        ],
        default_sort="number",
        detail_url=lambda c: f"/customers/{c.pk}/",
    ),
    "supply_points": ListSpec(
        key="supply_points",
        title=_("Supply points"),
        queryset=lambda company: supply_points_of_company(company=company),
        columns=[
            Column("code", _("Code"), lambda p: p.code, "code"),
            Column("customer", _("Customer"), lambda p: p.customer.display_name, "customer__last_name"),
            Column("commodity", _("Commodity"), lambda p: p.get_commodity_display(), "commodity"),
            Column("dso", _("DSO"), lambda p: p.dso.name, "dso__name"),
            Column("tariff_group", _("Tariff group"), lambda p: p.tariff_group.code, "tariff_group__code"),
            Column("annual", _("Annual kWh"), lambda p: p.annual_consumption_kwh, "annual_consumption_kwh"),
            Column("band", _("Band"), lambda p: p.consumption_band),
            Column("status", _("Status"), lambda p: p.get_status_display(), "status"),
        ],
        filters=[
            Filter("code", _("Code starts with"), _prefix("code")),
            Filter(
                "commodity",
                _("Commodity"),
                _eq("commodity"),
                [("electricity", _("Electricity")), ("gas", _("Gas"))],
            ),
            Filter(
                "status",
                _("Status"),
                _eq("status"),
                [
                    ("prospect", _("Prospect")),
                    ("switching", _("Switching in progress")),
                    ("active", _("Supplied")),
                    ("suspended", _("Supply suspended")),
                    ("ended", _("Supply ended")),
                ],
            ),
        ],
        default_sort="code",
        detail_url=lambda p: f"/customers/{p.customer_id}/",
    ),
    "meters": ListSpec(
        key="meters",
        title=_("Meters"),
        queryset=lambda company: meters_of_company(company=company),
        columns=[
            Column("serial", _("Serial number"), lambda m: m.serial_number, "serial_number"),
            Column("commodity", _("Commodity"), lambda m: m.get_commodity_display(), "commodity"),
            Column("manufacturer", _("Manufacturer"), lambda m: m.manufacturer, "manufacturer"),
            Column("registers", _("Registers"), lambda m: ", ".join(r.code for r in m.registers.all())),
            Column("smart", _("Smart"), lambda m: _("yes") if m.is_smart else _("no")),
        ],
        filters=[Filter("serial", _("Serial number starts with"), _prefix("serial_number"))],
        default_sort="serial_number",
    ),
    "contracts": ListSpec(
        key="contracts",
        title=_("Contracts"),
        queryset=lambda company: contracts_of_company(company=company),
        columns=[
            Column("number", _("Number"), lambda c: c.number, "number"),
            Column("customer", _("Customer"), lambda c: c.customer.display_name, "customer__last_name"),
            Column("kind", _("Kind"), lambda c: c.get_kind_display(), "kind"),
            Column("product", _("Product"), lambda c: c.product.name, "product__name"),
            Column("start", _("Supply from"), lambda c: c.start_date, "start_date"),
            Column("cycle", _("Billing cycle"), lambda c: c.get_billing_cycle_months_display()),
            Column("status", _("Status"), lambda c: c.get_status_display(), "status"),
        ],
        filters=[
            Filter("number", _("Number starts with"), _prefix("number")),
            Filter(
                "status",
                _("Status"),
                _eq("status"),
                [
                    ("draft", _("Draft")),
                    ("signed", _("Signed")),
                    ("active", _("In force")),
                    ("terminated", _("Terminated")),
                    ("ended", _("Ended")),
                ],
            ),
        ],
        default_sort="-number",
        detail_url=lambda c: f"/customers/{c.customer_id}/",
    ),
    "leads": ListSpec(
        key="leads",
        title=_("Leads"),
        queryset=lambda company: leads_of_company(company=company).select_related("campaign"),
        columns=[
            Column("created", _("Received"), lambda lead: lead.created_at, "created_at"),
            Column("name", _("Name"), lambda lead: lead.display_name, "last_name"),
            Column("contact", _("Contact"), lambda lead: " ".join(filter(None, [lead.phone, lead.email]))),
            Column("point", _("Supply point"), lambda lead: lead.supply_point_code),
            Column("source", _("Source"), lambda lead: lead.source, "source"),
            Column("campaign", _("Campaign"), lambda lead: lead.campaign.name if lead.campaign else ""),
            Column("status", _("Status"), lambda lead: lead.get_status_display(), "status"),
            Column("duplicate", _("Duplicate of"), lambda lead: lead.duplicate_of_id or ""),
        ],
        filters=[
            Filter("source", _("Source"), _eq("source")),
            Filter("status", _("Status"), _eq("status"), list(LeadStatus.choices)),
        ],
        default_sort="-created_at",
        detail_url=lambda lead: f"/leads/{lead.pk}/",
        permission=MANAGE_LEADS,
    ),
}


def filtered_rows(request: HttpRequest, spec: ListSpec) -> tuple[QuerySet, dict[str, str], str]:
    queryset = spec.queryset(request.company)
    active: dict[str, str] = {}
    for list_filter in spec.filters:
        value = request.GET.get(list_filter.key, "").strip()
        if value:
            active[list_filter.key] = value
            queryset = list_filter.apply(queryset, value, request.company)
    allowed = {c.sort for c in spec.columns if c.sort} | {spec.default_sort.lstrip("-")}
    sort = request.GET.get("sort", spec.default_sort)
    if sort.lstrip("-") not in allowed:
        sort = spec.default_sort
    return queryset.order_by(sort, "pk"), active, sort


def page_of(request: HttpRequest, queryset: QuerySet, per_page: int = 50):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def xlsx_response(spec: ListSpec, rows: QuerySet, filename: str) -> HttpResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(spec.title)[:31])
    sheet.append([str(column.label) for column in spec.columns])
    for row in rows[:EXPORT_LIMIT].iterator(chunk_size=2000):  # prefetches run per chunk
        sheet.append([_cell(column.value(row)) for column in spec.columns])
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def _cell(value: Any) -> Any:
    if isinstance(value, Promise):
        return str(value)
    return value
