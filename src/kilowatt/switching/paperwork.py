"""The documents of a switch, printed from the templates shipped with Kilowatt in the customer's language:
the termination notice to the previous supplier (when the customer authorised us), the customer's power
of attorney and the notification of the contract to the DSO."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy

from kilowatt.core.clock import WARSAW
from kilowatt.documents.agreements import document_pdf_render
from kilowatt.sales.paperwork import company_party, customer_party
from kilowatt.switching.models import SwitchCase, SwitchDocument
from kilowatt.switching.operations import document_attach

DOCUMENTS = {
    "termination_notice": (
        "switching/termination_notice.html",
        gettext_lazy("Termination of the sales contract"),
    ),
    "power_of_attorney": ("switching/power_of_attorney.html", gettext_lazy("Power of attorney")),
    "dso_notification": ("switching/dso_notification.html", gettext_lazy("Notification of a sales contract")),
}


def case_document_data(*, case: SwitchCase, now: datetime) -> dict[str, Any]:
    point = case.supply_point
    contract = case.contract
    return {
        "company": company_party(case.company),
        "customer": customer_party(contract.customer),
        "case": {"number": case.number},
        "contract": {"number": contract.number, "signed_on": contract.signed_on},
        "point": {
            "code": point.code,
            "address": str(point.address),
            "dso": point.dso.name,
            "tariff_group": point.tariff_group.code,
            "capacity": point.contracted_capacity_kw,
            "annual_kwh": point.annual_consumption_kwh,
        },
        "requested_start": case.requested_start,
        "previous_supplier": case.previous_supplier,
        "terminated_by_us": case.termination_authorised,
        "place": case.company.city or case.company.name,
        "issued_on": now.astimezone(WARSAW).date(),
    }


@transaction.atomic
def case_documents_generate(
    *, case: SwitchCase, actor: AbstractBaseUser | None, now: datetime
) -> list[SwitchDocument]:
    """Print the case's documents (the termination notice only when we terminate for the customer)."""
    case = SwitchCase.objects.select_related(
        "company",
        "contract__customer",
        "supply_point__dso",
        "supply_point__tariff_group",
        "supply_point__address",
    ).get(pk=case.pk)
    language = case.contract.customer.language if case.contract.customer.language in ("pl", "en") else "pl"
    data = case_document_data(case=case, now=now)
    printed = []
    for code, (template, title) in DOCUMENTS.items():
        if code == "termination_notice" and not case.termination_authorised:
            continue
        with translation.override(language):
            heading = str(title)
        pdf = document_pdf_render(
            template=template, context=data, language=language, title=f"{heading} — {case.number}",
            author=case.company.name,
        )  # fmt: skip
        printed.append(
            document_attach(
                case=case,
                code=code,
                file_name=f"{case.number.replace('/', '-')}-{code}.pdf",
                content=pdf,
                content_type="application/pdf",
                actor=actor,
                now=now,
                generated=True,
            )
        )
    return printed
