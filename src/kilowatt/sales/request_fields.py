"""The fields a contract request may require: a registry of codes, each with its label and a test of
whether the contract has it; the built-in minimum of each request kind and the company's own additions
(``RequiredField`` rows). Used by ``kilowatt.sales.requests``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kilowatt.core.errors import FieldError, ValidationFailed
from kilowatt.core.models import AuditEntry, Company
from kilowatt.core.operations import audit_record
from kilowatt.parties.models import Address, CustomerKind
from kilowatt.sales.models import Contract, RequestKind, RequiredField


@dataclass(frozen=True)
class RequestField:
    """A piece of a contract a request may require: its label and whether the contract has it."""

    label: Any  # a lazy translation
    present: Callable[[Contract], bool]


def _address_complete(address: Address | None) -> bool:
    return address is not None and all((address.building_number, address.postal_code, address.city))


def _tax_id(contract: Contract) -> bool:
    customer = contract.customer
    return bool(customer.nip if customer.kind == CustomerKind.BUSINESS else customer.pesel)


def _points(contract: Contract) -> list:
    return [link.supply_point for link in contract.supply_point_links.all()]


def _signers(contract: Contract) -> list:
    return list(contract.signers.all())


REQUEST_FIELDS: dict[str, RequestField] = {
    "customer.tax_id": RequestField(
        gettext_lazy("customer's tax id (NIP of a business, PESEL of a person)"), _tax_id
    ),
    "customer.nip": RequestField(gettext_lazy("customer's NIP"), lambda c: bool(c.customer.nip)),
    "customer.pesel": RequestField(gettext_lazy("customer's PESEL"), lambda c: bool(c.customer.pesel)),
    "customer.regon": RequestField(gettext_lazy("customer's REGON"), lambda c: bool(c.customer.regon)),
    "customer.krs": RequestField(gettext_lazy("customer's KRS"), lambda c: bool(c.customer.krs)),
    "customer.email": RequestField(gettext_lazy("customer's e-mail"), lambda c: bool(c.customer.email)),
    "customer.phone": RequestField(gettext_lazy("customer's phone"), lambda c: bool(c.customer.phone)),
    "customer.address": RequestField(
        gettext_lazy("customer's address"), lambda c: _address_complete(c.customer.address)
    ),
    "customer.correspondence_address": RequestField(
        gettext_lazy("customer's correspondence address"),
        lambda c: _address_complete(c.customer.correspondence_address),
    ),
    "signers": RequestField(gettext_lazy("signing person"), lambda c: bool(_signers(c))),
    "signers.email": RequestField(
        gettext_lazy("e-mail of every signing person"), lambda c: all(s.email for s in _signers(c))
    ),
    "signers.phone": RequestField(
        gettext_lazy("phone of every signing person"), lambda c: all(s.phone for s in _signers(c))
    ),
    "supply_points": RequestField(gettext_lazy("supply point"), lambda c: bool(_points(c))),
    "supply_points.capacity": RequestField(
        gettext_lazy("contracted capacity of every supply point"),
        lambda c: all(p.contracted_capacity_kw for p in _points(c)),
    ),
    "supply_points.phases": RequestField(
        gettext_lazy("phases of every supply point"), lambda c: all(p.phases for p in _points(c))
    ),
    "supply_points.area": RequestField(
        gettext_lazy("distribution area of every supply point"), lambda c: all(p.area_id for p in _points(c))
    ),
    "product": RequestField(gettext_lazy("product"), lambda c: bool(c.product_id)),
    "price_list": RequestField(
        gettext_lazy("price list of the product"),
        lambda c: bool(c.price_list_id) and c.price_list.product_id == c.product_id,
    ),
    "start_date": RequestField(gettext_lazy("supply start date"), lambda c: bool(c.start_date)),
    "end_date": RequestField(gettext_lazy("supply end date"), lambda c: bool(c.end_date)),
    "signed_on": RequestField(gettext_lazy("date of signing"), lambda c: bool(c.signed_on)),
    "offer": RequestField(gettext_lazy("accepted offer"), lambda c: bool(c.offer_version_id)),
    "opportunity": RequestField(gettext_lazy("opportunity"), lambda c: bool(c.opportunity_id)),
}

BUILT_IN_REQUIRED: dict[str, tuple[str, ...]] = {
    RequestKind.NEW: (
        "customer.tax_id",
        "customer.address",
        "supply_points",
        "signers",
        "product",
        "price_list",
        "start_date",
    ),
    RequestKind.ANNEX: ("signers",),
    RequestKind.CESSION: ("customer.tax_id", "customer.address", "signers"),
    RequestKind.RENEWAL: ("signers", "product", "price_list", "start_date"),
    RequestKind.TERMINATION: (),
}


def request_fields_required(*, company: Company, kind: str) -> list[str]:
    """The codes a request of this kind needs: the built-in minimum, then the company's own, once each."""
    configured = RequiredField.objects.filter(company=company, kind=kind).order_by("id")
    codes = [*BUILT_IN_REQUIRED.get(kind, ()), *configured.values_list("field", flat=True)]
    return list(dict.fromkeys(code.strip() for code in codes))


def _contract_loaded(contract: Contract) -> Contract:
    return (
        Contract.objects.select_related(
            "company", "customer__address", "customer__correspondence_address", "product", "price_list"
        )
        .prefetch_related("supply_point_links__supply_point", "signers")
        .get(pk=contract.pk)
    )


def contract_request_missing(*, contract: Contract, kind: str) -> list[FieldError]:
    """Every required field the contract lacks (field = its code), and every unknown configured code."""
    contract = _contract_loaded(contract)
    errors: list[FieldError] = []
    for code in request_fields_required(company=contract.company, kind=kind):
        field = REQUEST_FIELDS.get(code)
        if field is None:
            message = _(
                "Requests of the kind “%(kind)s” are set to require the field “%(code)s”, which does not "
                "exist; an administrator must correct the company's required fields."
            ) % {"code": code, "kind": RequestKind(kind).label}
            errors.append(FieldError(field=code, message=message, code="unknown_field"))
        elif not field.present(contract):
            message = _("Missing: %(label)s.") % {"label": field.label}
            errors.append(FieldError(field=code, message=message, code="required"))
    return errors


@transaction.atomic
def required_field_add(
    *, company: Company, kind: str, field: str, actor: AbstractBaseUser | None, now: datetime
) -> RequiredField:
    """Require one more field of the company's requests of ``kind``. Raises ValidationFailed."""
    field = (field or "").strip()
    if kind not in RequestKind.values:
        raise ValidationFailed.single("kind", _("Unknown request kind."))
    if field not in REQUEST_FIELDS:
        raise ValidationFailed.single(
            "field",
            _("Unknown field “%(code)s”; known fields: %(known)s.")
            % {"code": field, "known": ", ".join(sorted(REQUEST_FIELDS))},
        )
    required, created = RequiredField.objects.get_or_create(company=company, kind=kind, field=field)
    if created:
        audit_record(
            company=company,
            instance=required,
            action=AuditEntry.Action.CREATED,
            before=None,
            after={"kind": kind, "field": field},
            actor=actor,
            at=now,
        )
    return required
