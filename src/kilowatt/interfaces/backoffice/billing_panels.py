"""The customer 360° panel of billing: balance from the ledger and the latest invoices."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kilowatt.billing.queries import invoices_of_customer
from kilowatt.core.clock import system_clock
from kilowatt.core.permissions import VIEW_BILLING
from kilowatt.finance.queries import customer_balance, customer_overdue
from kilowatt.interfaces.backoffice.panels import panel_register

LATEST_INVOICES = 12


def _invoices(request, customer) -> dict:
    return {
        "customer_id": customer.pk,
        "balance": customer_balance(customer=customer),
        "overdue": customer_overdue(customer=customer, on_date=system_clock.today()),
        "invoices": list(invoices_of_customer(customer=customer)[:LATEST_INVOICES]),
        "contracts": list(customer.contracts.values_list("pk", "number")),
    }


def register() -> None:
    panel_register(
        key="invoices",
        title=_("Invoices and balance"),
        order=50,
        template="backoffice/panels/invoices.html",
        context=_invoices,
        permission=VIEW_BILLING,
    )
