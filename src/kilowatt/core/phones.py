"""Phone numbers in E.164, read with the phonenumbers library (Poland by default)."""

from __future__ import annotations

import phonenumbers
from django.utils.translation import gettext as _

from kilowatt.core.identifiers import InvalidIdentifier


def phone_normalise(value: str, *, default_region: str = "PL") -> str:
    raw = (value or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentifier(_("This is not a phone number.")) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentifier(_("This phone number is not valid."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
