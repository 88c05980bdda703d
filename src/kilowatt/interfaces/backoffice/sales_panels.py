"""The customer 360° panel of sales: the customer's opportunities with their stage and open activities."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from kilowatt.core.permissions import VIEW_MASTER_DATA
from kilowatt.interfaces.backoffice.panels import panel_register
from kilowatt.sales.models import Opportunity


def _opportunities(request, customer) -> dict:
    return {
        "opportunities": list(
            Opportunity.objects.filter(customer=customer)
            .select_related("owner")
            .annotate(open_activities=Count("activities", filter=Q(activities__done_at__isnull=True)))
            .order_by("-created_at")[:10]
        )
    }


def register() -> None:
    panel_register(
        key="opportunities",
        title=_("Opportunities"),
        order=45,
        template="backoffice/panels/opportunities.html",
        context=_opportunities,
        permission=VIEW_MASTER_DATA,
    )
