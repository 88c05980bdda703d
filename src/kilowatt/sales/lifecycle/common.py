"""What the life-cycle use cases share: the contract locked for a change, its snapshot for the audit
history, links and terms closed on a day, and the documents printed for it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from kilowatt.core.clock import WARSAW
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.operations import model_snapshot
from kilowatt.documents.agreements import agreement_pdf_render
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Customer
from kilowatt.sales.models import (
    Contract,
    ContractAnnex,
    ContractCession,
    ContractDocument,
    ContractStatus,
    ContractSupplyPoint,
)
from kilowatt.sales.paperwork import document_body, document_store, file_name_of

OPEN_STATUSES = (ContractStatus.SIGNED, ContractStatus.ACTIVE)
CLOSED_STATUSES = (ContractStatus.TERMINATED, ContractStatus.ENDED, ContractStatus.WITHDRAWN)


def local_day(now: datetime) -> date:
    """The day in Poland at ``now`` (the date printed on a document made at that moment)."""
    return now.astimezone(WARSAW).date()


def language_of(customer: Customer) -> str:
    return customer.language if customer.language in ("pl", "en") else "pl"


def contract_open_locked(contract: Contract) -> Contract:
    """The contract locked for a change; refused unless signed or in force and not ceded."""
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("company", "customer", "product", "price_list")
        .get(pk=contract.pk)
    )
    if contract.status not in OPEN_STATUSES:
        raise ValidationFailed.single(
            "status",
            _("Contract %(number)s is %(status)s: only a signed contract or one in force can change.")
            % {"number": contract.number, "status": contract.get_status_display()},
            code="not_open",
        )
    cession = ContractCession.objects.filter(contract=contract).first()
    if cession is not None:
        raise ValidationFailed.single(
            "contract",
            _("Contract %(number)s was ceded from %(day)s.")
            % {"number": contract.number, "day": cession.effective_from},
            code="ceded",
        )
    return contract


def contract_snapshot(contract: Contract) -> dict[str, Any]:
    """The contract's fields with its supply points and price terms and their dates, for the audit."""
    snapshot = model_snapshot(contract)
    for key in ("created_at", "updated_at"):
        snapshot.pop(key, None)
    links = contract.supply_point_links.order_by("supply_point__code", "valid_from")
    snapshot["supply_points"] = [
        f"{code} {start}–{end or ''}"
        for code, start, end in links.values_list("supply_point__code", "valid_from", "valid_to")
    ]
    terms = contract.price_terms.order_by("valid_from")
    snapshot["price_terms"] = [
        f"{code} {start}–{end or ''}"
        for code, start, end in terms.values_list("price_list__code", "valid_from", "valid_to")
    ]
    return snapshot


def links_and_terms_end(contract: Contract, day: date) -> None:
    """Supply point links and price terms running past ``day`` end on it; ones starting on or after it go
    (a period cannot end where it starts)."""
    for rows in (contract.supply_point_links, contract.price_terms):
        rows.filter(valid_from__gte=day).delete()
        rows.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day)).update(valid_to=day)


def covering_link(
    points: list[SupplyPoint], start: date, end: date | None, contract: Contract
) -> ContractSupplyPoint | None:
    """The first link of another contract still open covering one of the points in ``[start, end)``."""
    links = (
        ContractSupplyPoint.objects.filter(supply_point__in=points, contract__company_id=contract.company_id)
        .exclude(contract=contract)
        .exclude(contract__status__in=CLOSED_STATUSES)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
    )
    if end is not None:
        links = links.filter(valid_from__lt=end)
    return links.select_related("contract", "supply_point").first()


def point_rows(points: list[SupplyPoint]) -> list[dict[str, Any]]:
    return [
        {
            "code": p.code,
            "address": str(p.address),
            "tariff_group": p.tariff_group.code,
            "annual_kwh": p.annual_consumption_kwh,
        }
        for p in points
    ]


def document_print(
    *,
    contract: Contract,
    kind: str,
    title: Promise,
    number: str,
    context: Callable[[], dict[str, Any]],
    actor: AbstractBaseUser | None,
    now: datetime,
    annex: ContractAnnex | None = None,
    suffix: str = "",
) -> ContractDocument:
    """Print a document of the contract in the customer's language from the company's wording (or the one
    shipped with Kilowatt) and keep the file. ``context`` is called in that language, so labels in it are
    written in it; ``title`` is a lazy text with ``%(number)s``."""
    language = language_of(contract.customer)
    with translation.override(language):
        data, heading = context(), str(title) % {"number": number}
    pdf = agreement_pdf_render(
        kind=kind,
        language=language,
        body=document_body(company=contract.company, kind=kind, language=language),
        context=data,
        title=heading,
        author=contract.company.name,
    )
    return document_store(
        contract=contract,
        kind=kind,
        file_name=file_name_of(number, suffix),
        content=pdf,
        actor=actor,
        now=now,
        annex=annex,
    )
