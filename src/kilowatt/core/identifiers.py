"""Checks of identifiers: python-stdnum where it knows the format, GS1 GSRN-18 for supply points.

Every check returns the compact (normalised) value or raises ``InvalidIdentifier`` with a message a
person can act on. Which supply point format applies to which country and commodity is decided by
``kilowatt.network``; this module only knows the formats.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from stdnum import ean
from stdnum.eu import eic
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pl import nip, pesel, regon

POSTAL_CODE_PL = re.compile(r"^\d{2}-\d{3}$")


class InvalidIdentifier(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _digits(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def nip_validate(value: str) -> str:
    compact = nip.compact(value or "")
    if not compact.isdigit() or len(compact) != 10:
        raise InvalidIdentifier(_("A NIP has 10 digits."))
    try:
        return nip.validate(compact)
    except StdnumError as exc:
        raise InvalidIdentifier(_("This NIP has a wrong check digit.")) from exc


def pesel_validate(value: str) -> str:
    compact = pesel.compact(value or "")
    if not compact.isdigit() or len(compact) != 11:
        raise InvalidIdentifier(_("A PESEL has 11 digits."))
    try:
        return pesel.validate(compact)
    except StdnumError as exc:
        raise InvalidIdentifier(
            _("This PESEL has a wrong check digit or an impossible date of birth.")
        ) from exc


def regon_validate(value: str) -> str:
    compact = regon.compact(value or "")
    if not compact.isdigit() or len(compact) not in (9, 14):
        raise InvalidIdentifier(_("A REGON has 9 or 14 digits."))
    try:
        return regon.validate(compact)
    except StdnumError as exc:
        raise InvalidIdentifier(_("This REGON has a wrong check digit.")) from exc


def krs_validate(value: str) -> str:
    compact = _digits(value)
    if not compact.isdigit() or len(compact) != 10:
        raise InvalidIdentifier(_("A KRS number has 10 digits."))
    return compact


def postal_code_pl_validate(value: str) -> str:
    compact = (value or "").strip()
    if re.fullmatch(r"\d{5}", compact):
        compact = f"{compact[:2]}-{compact[2:]}"
    if not POSTAL_CODE_PL.match(compact):
        raise InvalidIdentifier(_("A Polish postal code looks like 00-950."))
    return compact


def gsrn18_is_valid(code: str) -> bool:
    """An 18-digit GS1 GSRN with its mod-10 check digit (stdnum.ean accepts only up to 14 digits)."""
    return len(code) == 18 and code.isdigit() and ean.calc_check_digit(code[:-1]) == code[-1]


def gsrn18_with_check_digit(first_17_digits: str) -> str:
    if len(first_17_digits) != 17 or not first_17_digits.isdigit():
        raise ValueError("a GSRN needs exactly 17 data digits")
    return first_17_digits + ean.calc_check_digit(first_17_digits)


def ppe_pl_validate(value: str) -> str:
    """A Polish electricity supply point: an 18-digit GSRN starting with 590."""
    code = _digits(value)
    if not code.isdigit() or len(code) != 18:
        raise InvalidIdentifier(_("A PPE code has 18 digits."))
    if not code.startswith("590"):
        raise InvalidIdentifier(_("A Polish PPE code starts with 590."))
    if not gsrn18_is_valid(code):
        raise InvalidIdentifier(_("This PPE code has a wrong check digit."))
    return code


def ppg_pl_validate(value: str) -> str:
    """A Polish gas supply point: ``8018`` followed by an 18-digit GSRN (22 digits)."""
    code = _digits(value)
    if not code.isdigit() or len(code) != 22:
        raise InvalidIdentifier(_("A PPG code has 22 digits (8018 and an 18-digit GSRN)."))
    if not code.startswith("8018"):
        raise InvalidIdentifier(_("A PPG code starts with 8018."))
    if not gsrn18_is_valid(code[4:]):
        raise InvalidIdentifier(_("This PPG code has a wrong check digit."))
    return code


def ean_cz_validate(value: str) -> str:
    code = _digits(value)
    if not code.isdigit() or len(code) != 18 or not code.startswith("8591824"):
        raise InvalidIdentifier(_("A Czech EAN code has 18 digits and starts with 8591824."))
    if not gsrn18_is_valid(code):
        raise InvalidIdentifier(_("This EAN code has a wrong check digit."))
    return code


def eic_validate(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) != 16:
        raise InvalidIdentifier(_("An EIC code has 16 characters."))
    try:
        return eic.validate(code)
    except StdnumError as exc:
        raise InvalidIdentifier(_("This EIC code is not valid (characters or check character).")) from exc
