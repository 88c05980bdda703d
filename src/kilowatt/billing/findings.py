"""What billing finds about a contract before and after rating: codes, severities and messages.

``error`` holds the contract (the run goes on for the rest); an ``approvable`` error is a judgement
(e.g. an amount far from the usual) that staff may approve; ``warning`` and ``info`` are shown, not held.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

ERROR, WARNING, INFO = "error", "warning", "info"

MESSAGES: dict[str, tuple[str, Any]] = {
    "no_supply_point": (ERROR, _("Contract %(contract)s covers no supply point in the period.")),
    "several_supply_points": (
        ERROR,
        _("Contract %(contract)s covers several supply points; bill them on separate contracts."),
    ),
    "no_meter": (ERROR, _("Contract %(contract)s: no meter is installed at %(point)s in the period.")),
    "no_read": (
        ERROR,
        _(
            "Contract %(contract)s: no read of register %(register)s (meter %(meter)s) to start from "
            "or to estimate %(day)s."
        ),
    ),
    "read_in_error": (
        ERROR,
        _(
            "Contract %(contract)s: the read of register %(register)s on %(day)s failed validation; "
            "correct it or replace it."
        ),
    ),
    "read_in_future": (
        ERROR,
        _("Contract %(contract)s: register %(register)s has a read dated %(day)s, in the future."),
    ),
    "negative_consumption": (
        ERROR,
        _("Contract %(contract)s: register %(register)s goes down from %(start)s to %(end)s."),
    ),
    "missing_zone": (
        ERROR,
        _("Contract %(contract)s: tariff %(group)s has zones %(zones)s that no meter register measures."),
    ),
    "no_gas_factor": (
        ERROR,
        _("Contract %(contract)s: no gas conversion factor covers the whole of %(period)s."),
    ),
    "no_rate_sales": (
        ERROR,
        _(
            "Contract %(contract)s: price list %(price_list)s has no %(component)s price%(zone)s "
            "for %(period)s."
        ),
    ),
    "no_rate_distribution": (
        ERROR,
        _(
            "Contract %(contract)s: no distribution tariff of %(dso)s %(group)s gives %(component)s%(zone)s "
            "for %(period)s."
        ),
    ),
    "no_contracted_capacity": (
        ERROR,
        _(
            "Contract %(contract)s: the tariff charges per kW but the supply point has no "
            "contracted capacity."
        ),
    ),
    "no_phases": (
        ERROR,
        _(
            "Contract %(contract)s: the fixed network charge depends on the phases, which supply point "
            "%(point)s does not record."
        ),
    ),
    "no_consumption_band": (
        ERROR,
        _("Contract %(contract)s: the supply point has no capacity-fee consumption band."),
    ),
    "implausible_amount": (
        ERROR,
        _(
            "Contract %(contract)s: %(amount)s PLN is more than %(factor)s× the previous invoice per day "
            "(%(previous)s PLN)."
        ),
    ),
    "implausible_energy": (
        ERROR,
        _(
            "Contract %(contract)s: %(kwh)s kWh is more than %(factor)s× the %(expected)s kWh the annual "
            "estimate suggests for a first bill."
        ),
    ),
    "estimated_reads": (INFO, _("Contract %(contract)s: billed on estimated reads.")),
    "already_billed": (INFO, _("This period was billed since the run was made: nothing left to bill here.")),
}
APPROVABLE = {"implausible_amount", "implausible_energy"}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str

    @property
    def blocks(self) -> bool:
        return self.severity == ERROR

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "approvable": self.code in APPROVABLE,
        }


def finding(code: str, **params: Any) -> Finding:
    severity, message = MESSAGES[code]
    return Finding(code, severity, str(message) % {k: str(v) for k, v in params.items()})
