"""Cession: a contract handed over to a new customer from ``effective_from``.

The old contract ends that day (its end date, supply point links and price terms close there); a new
contract for the new customer starts with the same product, price terms, billing and termination terms,
end date and supply points, numbered from the contract series, signed by the new customer's signing
persons; the supply points move to the new customer. Recording a cession records the agreement signed by
the three parties, so the new contract is signed (and in force when the old one was).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kilowatt.core.models import AuditEntry
from kilowatt.core.operations import audit_record, event_record
from kilowatt.core.validation import FieldErrors
from kilowatt.network.models import SupplyPoint
from kilowatt.parties.models import Customer
from kilowatt.sales.contracting import signers_for
from kilowatt.sales.lifecycle.common import (
    contract_open_locked,
    contract_snapshot,
    links_and_terms_end,
    local_day,
)
from kilowatt.sales.models import (
    Contract,
    ContractCession,
    ContractPriceTerm,
    ContractSigner,
    ContractStatus,
    ContractSupplyPoint,
)
from kilowatt.sales.operations import ContractData, contract_change_status, contract_create
from kilowatt.sales.paperwork import contract_document_issue


@dataclass(frozen=True)
class _Term:
    product_id: int
    price_list_id: int
    valid_from: date
    valid_to: date | None
    annex_id: int | None


def _cession_check(contract: Contract, new_customer: Customer, effective_from: date | None) -> None:
    errors = FieldErrors()
    if new_customer.company_id != contract.company_id:
        errors.add("new_customer", _("Customer not found."), code="not_found")
    elif new_customer.pk == contract.customer_id:
        errors.add("new_customer", _("The contract already belongs to this customer."))
    if effective_from is None:
        errors.add("effective_from", _("Give the day the new customer takes over."), code="required")
    elif effective_from <= contract.start_date:
        errors.add(
            "effective_from",
            _("Contract %(number)s starts on %(day)s: it can be ceded from the next day on.")
            % {"number": contract.number, "day": contract.start_date},
        )
    elif contract.end_date is not None and effective_from >= contract.end_date:
        errors.add(
            "effective_from",
            _("Contract %(number)s ends on %(day)s: it can be ceded only before that.")
            % {"number": contract.number, "day": contract.end_date},
        )
    errors.raise_if_any()


def _terms_from(contract: Contract, day: date) -> list[_Term]:
    """The contract's price terms from ``day`` on (the one in force clipped to start there)."""
    terms = [
        _Term(t.product_id, t.price_list_id, max(t.valid_from, day), t.valid_to, t.annex_id)
        for t in contract.price_terms.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day)).order_by(
            "valid_from"
        )
    ]
    return terms or [_Term(contract.product_id, contract.price_list_id, day, contract.end_date, None)]


def _points_move(
    contract: Contract, points: list[SupplyPoint], customer: Customer, actor, now: datetime
) -> None:
    for point in points:
        before = {"customer_id": point.customer_id}
        SupplyPoint.objects.filter(pk=point.pk).update(customer=customer, updated_at=now)
        audit_record(
            company=contract.company,
            instance=point,
            action=AuditEntry.Action.UPDATED,
            before=before,
            after={"customer_id": customer.pk},
            actor=actor,
            at=now,
        )


def _new_contract(
    *,
    old: Contract,
    customer: Customer,
    day: date,
    end: date | None,
    links: dict[int, date],
    terms: list[_Term],
    actor: AbstractBaseUser | None,
    now: datetime,
) -> Contract:
    new = contract_create(
        company=old.company,
        data=ContractData(
            customer_id=customer.pk,
            kind=old.kind,
            product_id=terms[0].product_id,
            price_list_id=terms[0].price_list_id,
            start_date=day,
            supply_point_ids=list(links),
            end_date=end,
            billing_cycle_months=old.billing_cycle_months,
            forecast_billing=old.forecast_billing,
            payment_term_days=old.payment_term_days,
            notice_period_days=old.notice_period_days,
            early_termination_fee=old.early_termination_fee,
        ),
        actor=actor,
        now=now,
    )
    new.early_termination_fee_per_month = old.early_termination_fee_per_month
    new.save(update_fields=["early_termination_fee_per_month"])
    for point_id, valid_from in links.items():  # a point an annex adds later joins the new contract then
        if valid_from > day:
            ContractSupplyPoint.objects.filter(contract=new, supply_point_id=point_id).update(
                valid_from=valid_from
            )
    new.price_terms.all().delete()
    ContractPriceTerm.objects.bulk_create(
        ContractPriceTerm(
            contract=new,
            product_id=t.product_id,
            price_list_id=t.price_list_id,
            valid_from=t.valid_from,
            valid_to=t.valid_to,
            annex_id=t.annex_id,
        )
        for t in terms
    )
    return new


@transaction.atomic
def contract_cede(
    *,
    contract: Contract,
    new_customer: Customer,
    effective_from: date | None,
    actor: AbstractBaseUser | None,
    now: datetime,
) -> ContractCession:
    """Hand the contract over to ``new_customer`` from ``effective_from`` (see the module). Refused for a
    day not after the contract's start or not before its end, a customer of another company, a customer
    without a signing person, or a contract not signed or in force. Raises ValidationFailed."""
    contract = contract_open_locked(contract)
    _cession_check(contract, new_customer, effective_from)
    assert effective_from is not None
    signers = signers_for(customer=new_customer)
    before, end = contract_snapshot(contract), contract.end_date
    open_links = contract.supply_point_links.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=effective_from))
    links = {link.supply_point_id: max(link.valid_from, effective_from) for link in open_links}
    terms = _terms_from(contract, effective_from)
    contract.end_date, contract.updated_at = effective_from, now
    contract.save(update_fields=["end_date", "updated_at"])
    links_and_terms_end(contract, effective_from)
    _points_move(contract, list(SupplyPoint.objects.filter(pk__in=links)), new_customer, actor, now)
    new = _new_contract(
        old=contract, customer=new_customer, day=effective_from, end=end, links=links, terms=terms,
        actor=actor, now=now,
    )  # fmt: skip
    for signer in signers:
        signer.contract = new
    ContractSigner.objects.bulk_create(signers)
    day = local_day(now)
    contract_change_status(contract=new, status=ContractStatus.SIGNED, on_date=day, actor=actor, now=now)
    if contract.status == ContractStatus.ACTIVE:
        contract_change_status(contract=new, status=ContractStatus.ACTIVE, on_date=day, actor=actor, now=now)
    new.refresh_from_db()
    contract_document_issue(contract=new, issued_on=day, actor=actor, now=now)
    cession = ContractCession.objects.create(
        contract=contract, new_customer=new_customer, new_contract=new, effective_from=effective_from,
        created_at=now, created_by=actor,
    )  # fmt: skip
    audit_record(
        company=contract.company, instance=contract, action=AuditEntry.Action.UPDATED,
        before=before, after=contract_snapshot(contract), actor=actor, at=now,
    )  # fmt: skip
    event_record(
        company=contract.company,
        name="sales.contract.ceded-v1",
        payload={"contract_id": contract.pk, "new_contract_id": new.pk, "new_customer_id": new_customer.pk,
                 "old_customer_id": contract.customer_id, "effective_from": effective_from},
        occurred_at=now,
    )  # fmt: skip
    return cession
