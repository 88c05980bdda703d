"""Country rules behind one registry: domain code asks for a country's territory, never imports it.

Territory packages (``kilowatt.territories.pl`` …) register themselves when their app is ready.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from django.utils.translation import gettext as _

from kilowatt.core.errors import DomainError

CodeCheck = Callable[[str], str]


class Territory(Protocol):
    country: str

    def supply_point_code_check(self, commodity: str) -> CodeCheck | None:
        """The check of supply point codes of this commodity, or None when not supported."""


class UnsupportedCountry(DomainError):
    code = "unsupported_country"


_territories: dict[str, Territory] = {}


def territory_register(territory: Territory) -> None:
    _territories[territory.country] = territory


def territory_for(country: str) -> Territory:
    territory = _territories.get((country or "").upper())
    if territory is None:
        raise UnsupportedCountry(
            _("Country %(country)s is not supported.") % {"country": country}, field="country"
        )
    return territory
