"""Polish rules: supply point codes (PPE, PPG)."""

from kilowatt.core.identifiers import ppe_pl_validate, ppg_pl_validate
from kilowatt.core.territories import CodeCheck


class Poland:
    country = "PL"
    _codes: dict[str, CodeCheck] = {"electricity": ppe_pl_validate, "gas": ppg_pl_validate}

    def supply_point_code_check(self, commodity: str) -> CodeCheck | None:
        return self._codes.get(commodity)
