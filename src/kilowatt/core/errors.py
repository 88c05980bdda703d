"""Errors that a person can act on: a code for machines, a message and the field concerned."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every error raised by domain operations.

    ``code`` is stable for API clients, ``message`` is translated text for people and ``field``
    names the input that caused it, when there is one.
    """

    code = "domain_error"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field}


class NotFound(DomainError):
    code = "not_found"


class PermissionDenied(DomainError):
    code = "permission_denied"


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    code: str = "invalid"


class ValidationFailed(DomainError):
    """One or more fields are invalid; nothing was stored."""

    code = "invalid"

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(first.message, field=first.field, code=first.code)

    @classmethod
    def single(cls, field: str, message: str, code: str = "invalid") -> ValidationFailed:
        return cls([FieldError(field=field, message=str(message), code=code)])
