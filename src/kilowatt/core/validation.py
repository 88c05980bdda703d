"""Collect every field error of an input before refusing it, so a person fixes all at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from kilowatt.core.errors import FieldError, ValidationFailed
from kilowatt.core.identifiers import InvalidIdentifier


class FieldErrors:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str, code: str = "invalid") -> None:
        self.errors.append(FieldError(field=field, message=str(message), code=code))

    def check(self, field: str, check: Callable[[str], Any], value: str) -> Any:
        """Run an identifier check; store its message under ``field`` and return the normal form."""
        try:
            return check(value)
        except InvalidIdentifier as exc:
            self.add(field, exc.message)
            return value

    def require(self, field: str, value: Any) -> None:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add(field, _("This field is required."), code="required")

    def email(self, field: str, value: str) -> str:
        value = (value or "").strip()
        if value:
            try:
                validate_email(value)
            except DjangoValidationError:
                self.add(field, _("Enter a valid e-mail address."))
        return value.lower()

    def has(self, field: str) -> bool:
        return any(e.field == field for e in self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
