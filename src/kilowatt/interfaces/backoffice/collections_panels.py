"""The customer 360° panels of finance and collections: open debts and ageing, payments, interest notes,
refunds; the dunning case with its stage and history, notices sent, disputes and instalment plans."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kilowatt.collections.instalments import plan_progress
from kilowatt.collections.queries import collections_of_customer
from kilowatt.core.clock import system_clock
from kilowatt.core.permissions import VIEW_BILLING, VIEW_COLLECTIONS
from kilowatt.finance.queries import (
    customer_ageing,
    customer_credit_open,
    customer_open_debts,
    interest_notes_of_customer,
    payments_of_customer,
    refunds_of_customer,
)
from kilowatt.finance.refunds import refundable_credit
from kilowatt.interfaces.backoffice.panels import panel_register

OPEN_DEBTS_SHOWN = 20


def _finance(request, customer) -> dict:
    today = system_clock.today()
    debts = customer_open_debts(customer=customer, on_date=today)
    return {
        "customer_id": customer.pk,
        "ageing": customer_ageing(customer=customer, on_date=today, debts=debts),
        "debts": debts[:OPEN_DEBTS_SHOWN],
        "credit": customer_credit_open(customer=customer),
        "refundable": refundable_credit(customer=customer),
        "payments": payments_of_customer(customer=customer)[:10],
        "interest_notes": interest_notes_of_customer(customer=customer)[:5],
        "refunds": refunds_of_customer(customer=customer)[:5],
    }


def _collections(request, customer) -> dict:
    today = system_clock.today()
    data = collections_of_customer(customer=customer)
    data["plans"] = [(plan, plan_progress(plan=plan, on_date=today)) for plan in data["plans"]]
    data["customer_id"] = customer.pk
    data["vulnerable"] = customer.is_vulnerable
    data["today"] = today
    return data


def register() -> None:
    panel_register(
        key="finance",
        title=_("Open items, payments and refunds"),
        order=55,
        template="backoffice/panels/finance.html",
        context=_finance,
        permission=VIEW_BILLING,
    )
    panel_register(
        key="collections",
        title=_("Collections"),
        order=56,
        template="backoffice/panels/collections.html",
        context=_collections,
        permission=VIEW_COLLECTIONS,
    )
