"""The customer 360° panel of switching: each supply point's switch in plain words, linked to its case."""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from kilowatt.core.permissions import VIEW_MASTER_DATA
from kilowatt.interfaces.backoffice.panels import panel_register
from kilowatt.switching.models import CaseStatus, StepCode
from kilowatt.switching.queries import supply_points_with_latest_case

# What the status of a switch means for the customer, said as staff would say it on the phone.
IN_WORDS = {
    CaseStatus.OPEN: _("We are preparing the switch (%(step)s)."),
    CaseStatus.SUBMITTED: _("Sent to the DSO; waiting for its verification."),
    CaseStatus.ACCEPTED: _("The DSO accepted the switch; supply starts on %(start)s."),
    CaseStatus.REJECTED: _("The DSO rejected the switch: %(reason)s"),
    CaseStatus.COMPLETED: _("Switched: we supply this point since %(start)s."),
    CaseStatus.CANCELLED: _("The switch was cancelled: %(reason)s"),
    CaseStatus.WITHDRAWN: _("The customer withdrew from the contract: %(reason)s"),
}


def _switching(request, customer) -> dict:
    rows = []
    for point in supply_points_with_latest_case(customer=customer):
        words = ""
        if point.case_id is not None:
            words = str(IN_WORDS[point.case_status]) % {
                "step": StepCode(point.case_step).label if point.case_step else "—",
                "start": date_format(point.case_start, "SHORT_DATE_FORMAT") if point.case_start else "—",
                "reason": point.case_reason or point.case_code or "—",
            }
        rows.append(
            {
                "point": point,
                "status": CaseStatus(point.case_status).label if point.case_id else "",
                "words": words,
            }
        )
    return {"rows": rows}


def register() -> None:
    panel_register(
        key="switching",
        title=_("Supplier switch"),
        order=42,
        template="backoffice/panels/switching.html",
        context=_switching,
        permission=VIEW_MASTER_DATA,
    )
