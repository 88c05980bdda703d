"""A tender: many supply points of one customer, read from one spreadsheet into one draft contract.

The file is CSV (UTF-8, ``;`` or ``,``) or XLSX, one supply point a row, with these columns (the first
row names them, in any order, lower or upper case):

==========================  ========  ==========================================================
column                      required  meaning
==========================  ========  ==========================================================
``supply_point_code``       yes       PPE (electricity, 18 digits) or PPG code, checked digit by digit
``commodity``               no        ``electricity`` or ``gas``; default: the product's commodity
``dso_code``                yes       the DSO's code, e.g. ``pge-dystrybucja``, ``tauron-dystrybucja``
``tariff_group``            yes       e.g. ``C11``, ``G11``, ``W-3.6``; one of the price list's groups
``annual_consumption_kwh``  yes       estimated yearly consumption in kWh, e.g. ``12500`` or ``12500,5``
``street``                  no        street of the supply point
``building_number``         yes       building number
``apartment_number``        no        apartment number
``postal_code``             yes       ``00-000``
``city``                    yes       city
``contracted_capacity_kw``  no        contracted capacity in kW, above zero
``phases``                  no        ``1`` or ``3``
``legacy_code``             no        the DSO's older code of the point
==========================  ========  ==========================================================

Example (CSV)::

    supply_point_code;dso_code;tariff_group;annual_consumption_kwh;street;building_number;postal_code;city
    590543500000000018;pge-dystrybucja;C11;12500;Polna;5;30-001;Kraków

Keep codes as text in a spreadsheet: a number of 18 digits loses its last ones in Excel.

Since the rows become one contract, the file is all or nothing: every bad row is reported (row, column,
reason) and then nothing is written. A point the customer already has is linked to the contract; a new
one is registered through ``network.operations.supply_point_create``. The same file for the same
contract twice changes nothing (an ``ImportBatch`` of kind ``contract_points:<contract id>`` keyed by
the file's SHA-256). Only a draft contract receives points.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import ImportBatch
from kilowatt.core.tabular import table_rows_read
from kilowatt.network.models import Commodity, Dso, SupplyPoint, TariffGroup
from kilowatt.network.operations import SupplyPointData, supply_point_clean, supply_point_create
from kilowatt.parties.operations import ADDRESS_FIELDS, AddressData
from kilowatt.sales.models import Contract, ContractStatus, ContractSupplyPoint
from kilowatt.sales.operations import ContractData, contract_update

IMPORT_KIND = "contract_points"
COLUMNS = [
    "supply_point_code",
    "commodity",
    "dso_code",
    "tariff_group",
    "annual_consumption_kwh",
    *ADDRESS_FIELDS,
    "contracted_capacity_kw",
    "phases",
    "legacy_code",
]
REQUIRED_COLUMNS = {
    "supply_point_code",
    "dso_code",
    "tariff_group",
    "annual_consumption_kwh",
    "building_number",
    "postal_code",
    "city",
}
# Domain field names → the file's column names, so errors name what the user sees.
FIELD_TO_COLUMN = {
    "code": "supply_point_code",
    "country": "supply_point_code",
    "dso_id": "dso_code",
    "tariff_group_id": "tariff_group",
    "area_id": "dso_code",
    **{f"address.{c}": c for c in ADDRESS_FIELDS},
}


@dataclass
class ContractPointsImportResult:
    batch: ImportBatch
    already_imported: bool = False
    created: int = 0  # new supply points registered and linked
    linked: int = 0  # points the customer had, now linked
    unchanged: int = 0  # points already on the contract
    errors: list[dict] = field(default_factory=list)


@dataclass
class _Row:
    number: int
    data: SupplyPointData
    existing: SupplyPoint | None


@dataclass
class _Lookups:
    dsos: dict[str, Dso]
    groups: dict[tuple[str, str], TariffGroup]
    points: dict[str, SupplyPoint]
    allowed_groups: set[int]


def _phases(value: str) -> int | None:
    if not value:
        return None
    try:
        number = Decimal(value.replace(",", "."))
    except InvalidOperation:
        return -1
    return int(number) if number == number.to_integral_value() else -1


def _row_data(contract: Contract, row: dict[str, str], lookups: _Lookups) -> SupplyPointData:
    commodity = row.get("commodity", "").strip().lower() or contract.product.commodity or "electricity"
    dso = lookups.dsos.get(row.get("dso_code", "").strip().lower())
    group = lookups.groups.get((commodity, row.get("tariff_group", "").strip().upper()))
    return SupplyPointData(
        code=row.get("supply_point_code", "").replace(" ", "").upper(),
        commodity=commodity,
        dso_id=dso.pk if dso else None,
        tariff_group_id=group.pk if group else None,
        annual_consumption_kwh=row.get("annual_consumption_kwh", ""),
        contracted_capacity_kw=row.get("contracted_capacity_kw") or None,
        phases=_phases(row.get("phases", "").strip()),
        legacy_code=row.get("legacy_code", ""),
        address=AddressData(**{c: row.get(c, "") for c in ADDRESS_FIELDS}),
    )


def _covered_elsewhere(contract: Contract, point: SupplyPoint) -> Contract | None:
    links = (
        ContractSupplyPoint.objects.filter(supply_point=point, contract__company=contract.company)
        .exclude(contract=contract)
        .exclude(
            contract__status__in=[ContractStatus.TERMINATED, ContractStatus.ENDED, ContractStatus.WITHDRAWN]
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=contract.start_date))
    )
    if contract.end_date:
        links = links.filter(valid_from__lt=contract.end_date)
    link = links.select_related("contract").first()
    return link.contract if link else None


def _row_problems(contract: Contract, row: dict[str, str], data: SupplyPointData, lookups: _Lookups) -> list:
    """(column, message) of what the network validation does not know: the contract's own rules."""
    problems = []
    if row.get("dso_code", "").strip() and data.dso_id is None:
        problems.append(("dso_code", _("No DSO with this code.")))
    if row.get("tariff_group", "").strip() and data.tariff_group_id is None:
        commodity = Commodity(data.commodity).label if data.commodity in Commodity.values else data.commodity
        problems.append(
            (
                "tariff_group",
                _("No tariff group %(code)s for %(commodity)s.")
                % {"code": row["tariff_group"], "commodity": commodity},
            )
        )
    product = contract.product
    if product.commodity and data.commodity != product.commodity:
        problems.append(
            ("commodity", _("The product %(product)s is for another commodity.") % {"product": product.name})
        )
    if data.tariff_group_id and lookups.allowed_groups and data.tariff_group_id not in lookups.allowed_groups:
        problems.append(("tariff_group", _("The price list does not cover this tariff group.")))
    existing = lookups.points.get(data.code)
    if existing is not None and existing.customer_id != contract.customer_id:
        problems.append(("supply_point_code", _("This supply point belongs to another customer.")))
    elif existing is not None and data.dso_id and existing.dso_id != data.dso_id:
        problems.append(
            ("dso_code", _("The supply point is registered with %(dso)s.") % {"dso": existing.dso.code})
        )
    elif existing is not None:
        clash = _covered_elsewhere(contract, existing)
        if clash is not None:
            problems.append(
                (
                    "supply_point_code",
                    _("Already covered by contract %(number)s in this period.") % {"number": clash.number},
                )
            )
    return problems


def _rows_check(contract: Contract, rows: list[dict[str, str]]) -> tuple[list[_Row], list[dict]]:
    """Validate every row; return the rows to write and every error (row, column, message)."""
    codes = [r.get("supply_point_code", "").replace(" ", "").upper() for r in rows]
    lookups = _Lookups(
        dsos={d.code: d for d in Dso.objects.all()},
        groups={(g.commodity, g.code.upper()): g for g in TariffGroup.objects.order_by("-country")},
        points={
            p.code: p
            for p in SupplyPoint.objects.filter(company=contract.company, code__in=codes).select_related(
                "dso"
            )
        },
        allowed_groups=set(contract.price_list.tariff_groups.values_list("pk", flat=True)),
    )
    planned: list[_Row] = []
    errors: list[dict] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        data = _row_data(contract, row, lookups)
        problems = _row_problems(contract, row, data, lookups)
        if data.code and data.code in seen:
            problems.append(
                (
                    "supply_point_code",
                    _("The same supply point is on row %(row)s.") % {"row": seen[data.code]},
                )
            )
        seen.setdefault(data.code, number)
        existing = lookups.points.get(data.code)
        try:
            supply_point_clean(company=contract.company, data=data, existing=existing)
        except ValidationFailed as failed:
            reported = {column for column, _message in problems}
            for error in failed.errors:
                column = FIELD_TO_COLUMN.get(error.field or "", error.field)
                if not (error.code == "required" and column in reported):  # said better above
                    problems.append((column, error.message))
        errors.extend(
            {"row": number, "column": column, "message": message}
            for column, message in dict.fromkeys(problems)
        )
        planned.append(_Row(number, data, existing))
    return planned, errors


def _contract_data(contract: Contract, point_ids: list[int]) -> ContractData:
    return ContractData(
        customer_id=contract.customer_id,
        kind=contract.kind,
        product_id=contract.product_id,
        price_list_id=contract.price_list_id,
        start_date=contract.start_date,
        supply_point_ids=point_ids,
        end_date=contract.end_date,
        billing_cycle_months=contract.billing_cycle_months,
        forecast_billing=contract.forecast_billing,
        payment_term_days=contract.payment_term_days,
        notice_period_days=contract.notice_period_days,
        early_termination_fee=contract.early_termination_fee,
    )


def _rows_write(
    contract: Contract, planned: list[_Row], result: ContractPointsImportResult, actor, now: datetime
) -> None:
    linked = list(contract.supply_point_links.values_list("supply_point_id", flat=True))
    point_ids = list(linked)
    for row in planned:
        if row.existing is not None and row.existing.pk in linked:
            result.unchanged += 1
            continue
        if row.existing is not None:
            point = row.existing
            result.linked += 1
        else:
            point = supply_point_create(
                company=contract.company, customer=contract.customer, data=row.data, actor=actor, now=now
            )
            result.created += 1
        point_ids.append(point.pk)
    if len(point_ids) > len(linked):
        contract_update(contract=contract, data=_contract_data(contract, point_ids), actor=actor, now=now)


def _batch(
    contract: Contract, file_name: str, file_hash: str, rows: int, actor, now: datetime
) -> ImportBatch:
    return ImportBatch(
        company=contract.company,
        kind=f"{IMPORT_KIND}:{contract.pk}",
        file_name=file_name[:255],
        file_hash=file_hash,
        status=ImportBatch.Status.COMPLETED,
        rows_total=rows,
        rows_done=rows,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=now,
        finished_at=now,
    )


def contract_points_import(
    *, contract: Contract, content: bytes, file_name: str, actor: AbstractBaseUser | None, now: datetime
) -> ContractPointsImportResult:
    """Read a tender's supply points (columns in the module docstring) into a draft contract, all or
    nothing. Raises ValidationFailed (field ``contract``: not a draft; ``file``: unreadable, a missing
    or unknown column, no rows); bad rows come back in ``errors`` with nothing written."""
    contract = Contract.objects.select_related("company", "customer", "product", "price_list").get(
        pk=contract.pk
    )
    if contract.status != ContractStatus.DRAFT:
        raise ValidationFailed.single(
            "contract", _("Only a draft contract can receive supply points."), code="not_draft"
        )
    file_hash = hashlib.sha256(content).hexdigest()
    done = ImportBatch.objects.filter(
        company=contract.company,
        kind=f"{IMPORT_KIND}:{contract.pk}",
        file_hash=file_hash,
        status=ImportBatch.Status.COMPLETED,
    ).first()
    if done is not None:
        return ContractPointsImportResult(done, already_imported=True)
    rows = table_rows_read(content=content, columns=COLUMNS, required=REQUIRED_COLUMNS)
    if not rows:
        raise ValidationFailed.single("file", _("The file has no rows of supply points."), code="required")
    result = ContractPointsImportResult(_batch(contract, file_name, file_hash, len(rows), actor, now))
    planned, result.errors = _rows_check(contract, rows)
    batch = result.batch
    if not result.errors:
        try:
            with transaction.atomic():
                _rows_write(contract, planned, result, actor, now)
                batch.rows_created, batch.rows_unchanged = result.created + result.linked, result.unchanged
                batch.save()
            return result
        except ValidationFailed as failed:  # the contract refused the points after all
            result.created = result.linked = result.unchanged = 0
            result.errors = [{"row": None, "column": e.field, "message": e.message} for e in failed.errors]
        except IntegrityError:  # the same file, imported at the same moment by someone else?
            done = ImportBatch.objects.filter(
                company=contract.company,
                kind=batch.kind,
                file_hash=file_hash,
                status=ImportBatch.Status.COMPLETED,
            ).first()
            if done is None:
                raise
            return ContractPointsImportResult(done, already_imported=True)
    batch.status, batch.errors = ImportBatch.Status.FAILED, result.errors
    batch.rows_created = batch.rows_unchanged = 0
    batch.rows_failed = len({e["row"] for e in result.errors})
    batch.save()
    return result
