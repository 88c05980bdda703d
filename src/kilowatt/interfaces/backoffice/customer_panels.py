"""The panels of the customer 360° page shipped with master data."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kilowatt.core.models import AuditEntry
from kilowatt.core.permissions import VIEW_MASTER_DATA
from kilowatt.interfaces.backoffice.panels import panel_register
from kilowatt.network.queries import supply_points_of_customer
from kilowatt.parties.models import ConsentKind
from kilowatt.sales.models import ContractStatus
from kilowatt.sales.operations import CONTRACT_TRANSITIONS
from kilowatt.sales.queries import contracts_of_customer


def _data(request, customer) -> dict:
    return {"customer": customer}


def _contacts(request, customer) -> dict:
    consents = list(customer.consents.all())
    active = {c.kind for c in consents if c.withdrawn_at is None}
    return {
        "customer_id": customer.pk,
        "contacts": list(customer.contacts.all()),
        "consents": consents,
        "grantable": [(kind, label) for kind, label in ConsentKind.choices if kind not in active],
    }


def _supply_points(request, customer) -> dict:
    return {"supply_points": list(supply_points_of_customer(customer=customer))}


def _contracts(request, customer) -> dict:
    transitions = {
        # A withdrawal is recorded on the switch case, where its legal period is checked.
        current: [
            (status, ContractStatus(status).label)
            for status in sorted(following)
            if status != ContractStatus.WITHDRAWN
        ]
        for current, following in CONTRACT_TRANSITIONS.items()
    }
    return {"contracts": list(contracts_of_customer(customer=customer)), "transitions": transitions}


def _history(request, customer) -> dict:
    point_ids = list(customer.supply_points.values_list("pk", flat=True))
    contract_ids = list(customer.contracts.values_list("pk", flat=True))
    entries = (
        AuditEntry.objects.filter(company=customer.company)
        .filter(
            Q(entity="parties.customer", entity_id=customer.pk)
            | Q(entity="network.supplypoint", entity_id__in=point_ids)
            | Q(entity="sales.contract", entity_id__in=contract_ids)
        )
        .order_by("-at", "-id")[:50]
    )
    return {"history": list(entries)}


def register() -> None:
    panel_register(
        key="customer",
        title=_("Customer"),
        order=10,
        template="backoffice/panels/customer.html",
        context=_data,
        permission=VIEW_MASTER_DATA,
    )
    panel_register(
        key="contacts",
        title=_("Contacts and consents"),
        order=20,
        template="backoffice/panels/contacts.html",
        context=_contacts,
        permission=VIEW_MASTER_DATA,
    )
    panel_register(
        key="supply_points",
        title=_("Supply points"),
        order=30,
        template="backoffice/panels/supply_points.html",
        context=_supply_points,
        permission=VIEW_MASTER_DATA,
    )
    panel_register(
        key="contracts",
        title=_("Contracts"),
        order=40,
        template="backoffice/panels/contracts.html",
        context=_contracts,
        permission=VIEW_MASTER_DATA,
    )
    panel_register(
        key="history",
        title=_("History"),
        order=90,
        template="backoffice/panels/history.html",
        context=_history,
        permission=VIEW_MASTER_DATA,
    )
