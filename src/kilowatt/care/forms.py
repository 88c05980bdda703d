"""Ticket forms as data: a type's fields, their kinds, required and conditionally required fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kilowatt.care.models import FieldKind, TicketFormField, TicketType
from kilowatt.core.errors import FieldError, ValidationFailed

FORM_PREFIX = "form."


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _is_required(field: TicketFormField, data: Mapping[str, Any]) -> bool:
    if field.is_required:
        return True
    if field.required_when_field:
        return _text(data.get(field.required_when_field)) == field.required_when_value
    return False


def _clean(field: TicketFormField, raw: str) -> str:
    """The value as stored (text), or raise ValueError with the reason."""
    if field.kind == FieldKind.NUMBER:
        try:
            number = Decimal(raw.replace(",", ".").replace(" ", ""))
        except InvalidOperation:
            raise ValueError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        return str(number)
    if field.kind == FieldKind.DATE:
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None
    if field.kind == FieldKind.CHOICE:
        codes = [code for code, _label in field.choice_options("en")]
        if raw not in codes:
            raise ValueError(_("Choose one of: %(codes)s.") % {"codes": ", ".join(codes)})
        return raw
    if field.kind == FieldKind.YES_NO:
        if raw.lower() in {"yes", "true", "1", "on", "tak"}:
            return "yes"
        if raw.lower() in {"no", "false", "0", "off", "nie"}:
            return "no"
        raise ValueError(_("Answer yes or no."))
    if field.kind == FieldKind.TEXT and len(raw) > 500:
        raise ValueError(_("At most 500 characters."))
    return raw


def ticket_form_check(
    *, ticket_type: TicketType, data: Mapping[str, Any], fields: Sequence[TicketFormField] | None = None
) -> dict[str, str]:
    """Clean a ticket's form answers against its type's fields; unknown keys are dropped.

    Raises ValidationFailed naming every field (``form.<code>``) that is missing or wrong.
    """
    fields = list(fields if fields is not None else ticket_type.fields.all())
    raw = {field.code: _text(data.get(field.code)) for field in fields}
    cleaned: dict[str, str] = {}
    errors: list[FieldError] = []
    for field in fields:
        value = raw[field.code]
        if not value:
            if _is_required(field, raw):
                errors.append(
                    FieldError(
                        field=FORM_PREFIX + field.code,
                        message=_("%(label)s is required.") % {"label": field.label(get_language() or "pl")},
                        code="required",
                    )
                )
            continue
        try:
            cleaned[field.code] = _clean(field, value)
        except ValueError as error:
            errors.append(FieldError(field=FORM_PREFIX + field.code, message=str(error)))
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def ticket_form_fields_check(*, fields: Sequence[TicketFormField]) -> None:
    """A type's form must make sense before it is used: conditions name a field of the same form."""
    codes = {field.code for field in fields}
    errors = [
        FieldError(
            field="required_when_field",
            message=_("Field %(field)s depends on %(other)s, which is not on this form.")
            % {"field": field.code, "other": field.required_when_field},
        )
        for field in fields
        if field.required_when_field and field.required_when_field not in codes
    ]
    errors += [
        FieldError(
            field="choices", message=_("Field %(field)s is a choice without choices.") % {"field": field.code}
        )
        for field in fields
        if field.kind == FieldKind.CHOICE and not field.choice_options("en")
    ]
    if errors:
        raise ValidationFailed(errors)
