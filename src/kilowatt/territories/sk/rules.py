"""Slovak rules: electricity EIC (24Z…); the 20-character gas code (SKSPPDIS…) awaits verification."""

from kilowatt.core.identifiers import eic_validate
from kilowatt.core.territories import CodeCheck


class Slovakia:
    country = "SK"
    _codes: dict[str, CodeCheck] = {"electricity": eic_validate}

    def supply_point_code_check(self, commodity: str) -> CodeCheck | None:
        return self._codes.get(commodity)
