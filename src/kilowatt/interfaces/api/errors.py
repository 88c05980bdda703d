"""Every API error is ``{code, message, field}``; a validation error adds ``errors`` with all fields."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from kilowatt.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed


def error_body(code: str, message: str, field: str | None = None, **extra) -> dict:
    return {"code": code, "message": message, "field": field, **extra}


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationFailed)
    def validation_failed(request, exc: ValidationFailed):
        errors = [{"code": e.code, "message": e.message, "field": e.field} for e in exc.errors]
        return api.create_response(
            request, error_body(exc.code, exc.message, exc.field, errors=errors), status=422
        )

    @api.exception_handler(NotFound)
    def not_found(request, exc: NotFound):
        return api.create_response(request, error_body(exc.code, exc.message, exc.field), status=404)

    @api.exception_handler(Http404)
    def http_404(request, exc):
        return api.create_response(request, error_body("not_found", _("Not found.")), status=404)

    @api.exception_handler(PermissionDenied)
    def permission_denied(request, exc: PermissionDenied):
        return api.create_response(request, error_body(exc.code, exc.message, exc.field), status=403)

    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return api.create_response(request, error_body(exc.code, exc.message, exc.field), status=422)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return api.create_response(
            request,
            error_body("unauthenticated", _("Authentication required: a valid token or a session.")),
            status=401,
        )

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return api.create_response(request, error_body("http_error", str(exc)), status=exc.status_code)

    @api.exception_handler(NinjaValidationError)
    def request_invalid(request, exc: NinjaValidationError):
        errors = []
        for error in exc.errors:
            location = [
                str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "payload")
            ]
            errors.append(
                {"code": "invalid", "message": error.get("msg", ""), "field": ".".join(location) or None}
            )
        first = errors[0] if errors else {"message": _("Invalid request."), "field": None}
        return api.create_response(
            request, error_body("invalid", first["message"], first["field"], errors=errors), status=422
        )
