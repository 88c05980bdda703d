"""The invoice document ("kilowatt.invoice/1"): the frozen, machine-readable invoice.

Built once when the invoice is issued, in the customer's language; the PDF and the JSON download are
both made from it, so they can never disagree (see docs/documents.md for the fields).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kilowatt.billing.inputs import PreparedBill
from kilowatt.catalog.rating import Line, Rating
from kilowatt.core.money import money_round
from kilowatt.core.periods import Period
from kilowatt.network.models import Zone

SCHEMA = "kilowatt.invoice/1"

COMPONENT_LABELS = {
    "energy": _("Active energy"),
    "fuel": _("Gas fuel"),
    "handling_fee": _("Handling fee"),
    "subscription": _("Subscription fee"),
    "excise": _("Excise duty"),
    "fixed_network": _("Fixed network charge"),
    "variable_network": _("Variable network charge"),
    "quality": _("Quality charge"),
    "oze": _("Renewables (OZE) charge"),
    "cogeneration": _("Cogeneration charge"),
    "capacity_household": _("Capacity fee"),
    "capacity_other": _("Capacity fee (working days 7–22)"),
    "distribution_subscription": _("Subscription fee"),
    "forecast_deduction": _("Less forecast invoice"),
}


ZONES_NAMED = {zone: Zone(zone).label for zone in Zone.values if zone != Zone.ALL_DAY}


def line_description(line: Line) -> str:
    label = str(COMPONENT_LABELS.get(line.component, line.component))
    if line.component == "forecast_deduction":
        return f"{label} {line.rate_ref.split(':', 1)[1]}"
    if line.zone in ZONES_NAMED:
        return f"{label} — {ZONES_NAMED[line.zone]}"
    return label


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def document_header(
    *,
    contract: Any,
    number: str,
    kind: str,
    language: str,
    issue_date: date,
    due_date: date,
    period: Period,
    bank_account: str,
) -> dict[str, Any]:
    """What every document of the schema carries: number, dates, parties, contract and how to pay."""
    assert period.end is not None
    customer, company = contract.customer, contract.company
    return {
        "schema": SCHEMA,
        "number": number,
        "kind": kind,
        "language": language,
        "issue_date": issue_date.isoformat(),
        "sale_date": (period.end - timedelta(days=1)).isoformat(),
        "due_date": due_date.isoformat(),
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "currency": "PLN",
        "seller": {"name": company.name, "nip": company.nip, "address": ""},
        "buyer": {
            "name": customer.display_name,
            "customer_number": customer.number,
            "nip": customer.nip,
            "address": str(customer.address) if customer.address_id else "",
        },
        "contract": {"number": contract.number, "product": contract.product.name, "kind": contract.kind},
        "payment": {"bank_account": bank_account, "title": number, "due_date": due_date.isoformat()},
    }


def invoice_document(
    *,
    bill: PreparedBill,
    rating: Rating,
    number: str,
    kind: str,
    issue_date: date,
    due_date: date,
    bank_account: str,
    language: str,
    history: list[dict[str, str]],
    amount_due: Decimal | None = None,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """The document of an invoice being issued; every amount is a string of a Decimal."""
    contract, point, period = bill.contract, bill.supply_point, bill.period
    assert point is not None and period.end is not None
    with translation.override(language):
        lines = [
            {
                "group": line.group,
                "component": line.component,
                "description": line_description(line),
                "zone": line.zone,
                "period_start": line.period_start.isoformat(),
                "period_end": line.period_end.isoformat(),
                "quantity": str(line.quantity),
                "unit": line.unit,
                "unit_price": str(line.unit_price),
                "net": str(line.net),
                "vat_rate": str(line.vat_rate),
                "trace": {"rule": line.rule, "rate": line.rate_ref, "reads": list(line.read_ids)},
            }
            for line in rating.lines
        ]
        all_notes = list(notes or [])
        if any(r.start.estimated or r.end.estimated for r in bill.registers):
            all_notes.append(str(_("Reads marked as estimated will be settled against an actual read.")))
        if kind == "forecast":
            all_notes.append(
                str(
                    _(
                        "A forecast from your annual consumption; the settlement on an actual read "
                        "credits or charges the difference."
                    )
                )
            )
    excise_kwh = rating.kwh if point.commodity == "electricity" else Decimal(0)
    excise_rate = next(
        (
            r.price
            for r in (bill.request.national_rates if bill.request else ())
            if r.component == "excise" and r.valid_on(period.start)
        ),
        Decimal(0),
    )
    return {
        **document_header(
            contract=contract,
            number=number,
            kind=kind,
            language=language,
            issue_date=issue_date,
            due_date=due_date,
            period=period,
            bank_account=bank_account,
        ),
        "supply_point": {
            "code": point.code,
            "address": str(point.address),
            "tariff_group": point.tariff_group.code,
            "dso": point.dso.name,
            "commodity": point.commodity,
            "meter": ", ".join(sorted({r.meter_serial for r in bill.registers})),
        },
        "readings": [
            {
                "register": r.register_code,
                "zone": r.zone,
                "previous_on": r.start.day.isoformat(),
                "previous_value": str(r.start.value),
                "previous_estimated": r.start.estimated,
                "current_on": r.end.day.isoformat(),
                "current_value": str(r.end.value),
                "current_estimated": r.end.estimated,
                "consumption": str(r.consumption),
                "unit": r.unit,
                "conversion_factor": _s(r.conversion_factor),
                "energy_kwh": str(r.kwh),
            }
            for r in bill.registers
        ],
        "lines": lines,
        "vat": [
            {"rate": str(rate), "net": str(net), "vat": str(vat), "gross": str(net + vat)}
            for rate, (net, vat) in sorted(rating.vat.items())
        ],
        "totals": {"net": str(rating.net), "vat": str(rating.vat_total), "gross": str(rating.gross)},
        "amount_due": str(rating.gross if amount_due is None else amount_due),
        "excise": {
            "included": contract.price_list.excise_included,
            "kwh": str(excise_kwh),
            "amount": str(money_round(excise_kwh * excise_rate)),
        },
        "consumption_history": history,
        "notes": all_notes,
        "corrected_invoice": None,
    }
