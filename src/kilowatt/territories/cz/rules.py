"""Czech rules: electricity EAN (8591824…, GSRN-18), gas EIC (27ZG…)."""

from kilowatt.core.identifiers import ean_cz_validate, eic_validate
from kilowatt.core.territories import CodeCheck


class Czechia:
    country = "CZ"
    _codes: dict[str, CodeCheck] = {"electricity": ean_cz_validate, "gas": eic_validate}

    def supply_point_code_check(self, commodity: str) -> CodeCheck | None:
        return self._codes.get(commodity)
