"""Invoice documents ("kilowatt.invoice/1") as billing will hand them to documents: test fixtures.

Line values, VAT per rate and totals are computed here the house way (kilowatt.core.money) so the
documents add up; every value is then a string, as in the stored JSON.

- ``household_g11_document()``: a Polish G11 household, two months, actual and estimated reads;
- ``correction_document()``: the correction of that invoice after an actual read replaced the
  estimate (an overpayment: the amount due is negative);
- ``gas_document()``: an English W-3.6 gas settlement with a conversion factor (m³ → kWh).
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from kilowatt.core.money import energy_round, line_value, money_round, vat_by_rate

SELLER = {
    "name": "Kilowatt Energia S.A.",
    "nip": "5261040828",
    "address": "ul. Prosta 20, 00-850 Warszawa",
}
BANK_ACCOUNT = "PL61109010140000071219812874"
VAT_23 = "0.23"
EXCISE_PER_KWH = Decimal("0.005")


def _line(
    group: str, description: str, start: str, end: str, quantity: str, unit: str, unit_price: str
) -> dict[str, Any]:
    return {
        "group": group,
        "description": description,
        "period_start": start,
        "period_end": end,
        "quantity": quantity,
        "unit": unit,
        "unit_price": unit_price,
        "net": str(line_value(quantity=Decimal(quantity), unit_price=Decimal(unit_price))),
        "vat_rate": VAT_23,
    }


def _totals(lines: list[dict[str, Any]]) -> tuple[list[dict[str, str]], dict[str, str]]:
    per_rate = vat_by_rate((Decimal(line["net"]), Decimal(line["vat_rate"])) for line in lines)
    vat = [
        {"rate": str(rate), "net": str(net), "vat": str(tax), "gross": str(net + tax)}
        for rate, (net, tax) in sorted(per_rate.items())
    ]
    net = sum((Decimal(row["net"]) for row in vat), Decimal("0.00"))
    tax = sum((Decimal(row["vat"]) for row in vat), Decimal("0.00"))
    return vat, {"net": str(net), "vat": str(tax), "gross": str(net + tax)}


def _household_lines(*, february_kwh: str) -> list[dict[str, Any]]:
    total_kwh = str(Decimal("190.000") + Decimal(february_kwh))
    period = ("2026-01-01", "2026-03-01")
    return [
        _line("sales", "Energia czynna — strefa całodobowa", "2026-01-01", "2026-02-01", "190.000", "kWh",
              "0.495000"),
        _line("sales", "Energia czynna — strefa całodobowa", "2026-02-01", "2026-03-01", february_kwh, "kWh",
              "0.495000"),
        _line("sales", "Opłata handlowa", *period, "2.000", "month", "9.990000"),
        _line("distribution", "Opłata sieciowa zmienna — strefa całodobowa", *period, total_kwh, "kWh",
              "0.371000"),
        _line("distribution", "Opłata jakościowa", *period, total_kwh, "kWh", "0.031700"),
        _line("distribution", "Opłata OZE", *period, total_kwh, "kWh", "0.003500"),
        _line("distribution", "Opłata kogeneracyjna", *period, total_kwh, "kWh", "0.003000"),
        _line("distribution", "Opłata sieciowa stała — układ jednofazowy", *period, "2.000", "month",
              "6.650000"),
        _line("distribution", "Opłata przejściowa (zużycie 500–1200 kWh/rok)", *period, "2.000", "month",
              "0.330000"),
        _line("distribution", "Opłata mocowa (zużycie 1200–2800 kWh/rok)", *period, "2.000", "month",
              "7.120000"),
        _line("distribution", "Opłata abonamentowa", *period, "2.000", "month", "1.450000"),
        _line("other", "Pakiet „Fachowiec” — pomoc elektryka i hydraulika", *period, "2.000", "month",
              "8.130000"),
    ]  # fmt: skip


def _household(*, number: str, february_kwh: str, current_value: str, current_estimated: bool) -> dict:
    lines = _household_lines(february_kwh=february_kwh)
    vat, totals = _totals(lines)
    total_kwh = energy_round(Decimal("190.000") + Decimal(february_kwh))
    return {
        "schema": "kilowatt.invoice/1",
        "number": number,
        "kind": "periodic",
        "language": "pl",
        "issue_date": "2026-03-03",
        "sale_date": "2026-02-28",
        "due_date": "2026-03-17",
        "period": {"start": "2026-01-01", "end": "2026-03-01"},
        "currency": "PLN",
        "seller": dict(SELLER),
        "buyer": {
            "name": "Anna Kowalska",
            "customer_number": "K/000001/2026",
            "nip": "",
            "address": "ul. Lipowa 7 m. 3, 20-019 Lublin",
        },
        "supply_point": {
            "code": "590543500000000018",
            "address": "ul. Lipowa 7 m. 3, 20-019 Lublin",
            "tariff_group": "G11",
            "dso": "PGE Dystrybucja S.A.",
            "commodity": "electricity",
            "meter": "00012345",
        },
        "contract": {"number": "UM/000001/2026", "product": "Prąd Stała Cena 2026", "kind": "comprehensive"},
        "readings": [
            {
                "register": "1.8.0",
                "zone": "all",
                "previous_on": "2026-01-01",
                "previous_value": "12345.000",
                "previous_estimated": False,
                "current_on": "2026-02-01",
                "current_value": "12535.000",
                "current_estimated": False,
                "consumption": "190.000",
                "unit": "kWh",
                "conversion_factor": None,
                "energy_kwh": "190.000",
            },
            {
                "register": "1.8.0",
                "zone": "all",
                "previous_on": "2026-02-01",
                "previous_value": "12535.000",
                "previous_estimated": False,
                "current_on": "2026-03-01",
                "current_value": current_value,
                "current_estimated": current_estimated,
                "consumption": february_kwh,
                "unit": "kWh",
                "conversion_factor": None,
                "energy_kwh": february_kwh,
            },
        ],
        "lines": lines,
        "vat": vat,
        "totals": totals,
        "amount_due": totals["gross"],
        "payment": {"bank_account": BANK_ACCOUNT, "title": number, "due_date": "2026-03-17"},
        "excise": {
            "included": True,
            "kwh": str(total_kwh),
            "amount": str(money_round(total_kwh * EXCISE_PER_KWH)),
        },
        "consumption_history": [
            {"month": month, "kwh": kwh}
            for month, kwh in [
                ("2025-03", "205.000"),
                ("2025-04", "170.000"),
                ("2025-05", "150.000"),
                ("2025-06", "140.000"),
                ("2025-07", "145.000"),
                ("2025-08", "150.000"),
                ("2025-09", "160.000"),
                ("2025-10", "185.000"),
                ("2025-11", "200.000"),
                ("2025-12", "215.000"),
                ("2026-01", "190.000"),
                ("2026-02", february_kwh),
            ]
        ],  # fmt: skip
        "notes": [
            "Odczyt z 01.03.2026 jest szacowany. Podaj własny odczyt w portalu klienta, "
            "a rozliczymy zużycie rzeczywiste.",
            "Cena energii czynnej 0,495 zł/kWh netto obowiązuje do 31.12.2026 zgodnie z produktem "
            "Prąd Stała Cena 2026.",
        ],
        "corrected_invoice": None,
    }


def household_g11_document() -> dict[str, Any]:
    """FV/000123/2026: January (actual read) and February (estimated read, 185 kWh)."""
    return _household(
        number="FV/000123/2026", february_kwh="185.000", current_value="12720.000", current_estimated=True
    )


def correction_document() -> dict[str, Any]:
    """FK/000004/2026 corrects FV/000123/2026: the actual read of 1 March was 12 700, not 12 720."""
    before = household_g11_document()
    after = _household(
        number="FV/000123/2026", february_kwh="165.000", current_value="12700.000", current_estimated=False
    )
    lines = []
    for old, new in zip(before["lines"], after["lines"], strict=True):
        if old["net"] == new["net"]:
            continue
        lines.append(
            {
                **new,
                "description": f"{new['description']} (korekta)",
                "quantity": str(Decimal(new["quantity"]) - Decimal(old["quantity"])),
                "net": str(Decimal(new["net"]) - Decimal(old["net"])),
            }
        )
    difference = {
        key: str(Decimal(after["totals"][key]) - Decimal(before["totals"][key])) for key in before["totals"]
    }
    vat = [
        {key: str(Decimal(new[key]) - Decimal(old[key])) if key != "rate" else new[key] for key in new}
        for old, new in zip(before["vat"], after["vat"], strict=True)
    ]
    kwh = Decimal(after["excise"]["kwh"]) - Decimal(before["excise"]["kwh"])
    return {
        **after,
        "number": "FK/000004/2026",
        "kind": "correction",
        "issue_date": "2026-03-20",
        "due_date": "2026-04-03",
        "readings": after["readings"][1:],
        "lines": lines,
        "vat": vat,
        "totals": difference,
        "amount_due": difference["gross"],
        "payment": {"bank_account": BANK_ACCOUNT, "title": "FK/000004/2026", "due_date": "2026-04-03"},
        "excise": {
            "included": True,
            "kwh": str(kwh),
            "amount": str(Decimal(after["excise"]["amount"]) - Decimal(before["excise"]["amount"])),
        },
        "notes": ["Nadpłatę zaliczymy na poczet najbliższej faktury, chyba że poprosisz o jej zwrot."],
        "corrected_invoice": {
            "number": "FV/000123/2026",
            "issue_date": "2026-03-03",
            "reason": "Odczyt rzeczywisty z 01.03.2026 (12 700,000 kWh) zastąpił odczyt szacowany.",
            "before": dict(before["totals"]),
            "difference": difference,
        },
    }


def gas_document() -> dict[str, Any]:
    """FV/000311/2026 in English: W-3.6 gas, 375 m³ × 11.160 kWh/m³, no excise (household heating)."""
    period = ("2025-11-01", "2026-01-01")
    energy = str(energy_round(Decimal("375.000") * Decimal("11.160")))
    lines = [
        _line("sales", "Gas fuel", *period, energy, "kWh", "0.231000"),
        _line("sales", "Subscription fee", *period, "2.000", "month", "4.950000"),
        _line("distribution", "Variable network fee", *period, energy, "kWh", "0.069800"),
        _line("distribution", "Fixed network fee", *period, "2.000", "month", "18.720000"),
    ]
    vat, totals = _totals(lines)
    return {
        "schema": "kilowatt.invoice/1",
        "number": "FV/000311/2026",
        "kind": "settlement",
        "language": "en",
        "issue_date": "2026-01-05",
        "sale_date": "2025-12-31",
        "due_date": "2026-01-19",
        "period": {"start": period[0], "end": period[1]},
        "currency": "PLN",
        "seller": dict(SELLER),
        "buyer": {
            "name": "John Smith",
            "customer_number": "K/000042/2026",
            "nip": "",
            "address": "ul. Słoneczna 5, 30-001 Kraków",
        },
        "supply_point": {
            "code": "8018590365500019316979",
            "address": "ul. Słoneczna 5, 30-001 Kraków",
            "tariff_group": "W-3.6",
            "dso": "Polska Spółka Gazownictwa sp. z o.o.",
            "commodity": "gas",
            "meter": "GZ0098765",
        },
        "contract": {"number": "UM/000042/2026", "product": "Gas Fixed Price 2026", "kind": "comprehensive"},
        "readings": [
            {
                "register": "gas",
                "zone": "all",
                "previous_on": "2025-11-01",
                "previous_value": "4210.000",
                "previous_estimated": True,
                "current_on": "2026-01-01",
                "current_value": "4585.000",
                "current_estimated": False,
                "consumption": "375.000",
                "unit": "m3",
                "conversion_factor": "11.160",
                "energy_kwh": energy,
            }
        ],
        "lines": lines,
        "vat": vat,
        "totals": totals,
        "amount_due": totals["gross"],
        "payment": {"bank_account": BANK_ACCOUNT, "title": "FV/000311/2026", "due_date": "2026-01-19"},
        "excise": {"included": False, "kwh": "0.000", "amount": "0.00"},
        "consumption_history": [
            {"month": month, "kwh": kwh}
            for month, kwh in [
                ("2025-01", "2650.000"),
                ("2025-02", "2380.000"),
                ("2025-03", "1720.000"),
                ("2025-04", "980.000"),
                ("2025-05", "520.000"),
                ("2025-06", "310.000"),
                ("2025-07", "290.000"),
                ("2025-08", "295.000"),
                ("2025-09", "480.000"),
                ("2025-10", "1240.000"),
                ("2025-11", "1890.000"),
                ("2025-12", "2295.000"),
            ]
        ],  # fmt: skip
        "notes": ["Gas fuel used to heat a household is exempt from excise duty."],
        "corrected_invoice": None,
    }


def documents_all() -> dict[str, dict[str, Any]]:
    return copy.deepcopy(
        {"household": household_g11_document(), "correction": correction_document(), "gas": gas_document()}
    )
