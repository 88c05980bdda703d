"""A contract generated from an accepted offer, with nothing typed again: customer, signing persons,
supply points, product, price list, periods and payment terms come from the offer version."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from kilowatt.core.errors import ValidationFailed
from kilowatt.parties.models import Customer, CustomerKind
from kilowatt.sales.models import Contract, ContractSigner, OfferVersion
from kilowatt.sales.operations import ContractData, contract_create
from kilowatt.sales.paperwork import contract_document_issue


class SigningPersonMissing(ValidationFailed):
    code = "signing_person_missing"


def signers_for(*, customer: Customer) -> list[ContractSigner]:
    """Who signs for the customer (unsaved rows): the contacts marked as signing persons, or a private
    customer personally. A business without a signing person cannot sign: SigningPersonMissing."""
    contacts = list(customer.contacts.filter(is_signing_person=True).order_by("last_name", "id"))
    if contacts:
        return [
            ContractSigner(
                contact=c,
                first_name=c.first_name,
                last_name=c.last_name,
                email=c.email,
                phone=c.phone,
                role=c.role,
            )
            for c in contacts
        ]
    if customer.kind == CustomerKind.PERSON:
        return [
            ContractSigner(
                first_name=customer.first_name,
                last_name=customer.last_name,
                email=customer.email,
                phone=customer.phone,
            )
        ]
    raise SigningPersonMissing.single(
        "signers",
        _("%(customer)s has no signing person: add a contact person marked as signing person first.")
        % {"customer": customer.display_name},
        code="signing_person_missing",
    )


def signers_check(*, contract: Contract) -> list[ContractSigner]:
    """The contract's signers, each reachable for a one-time code; raises SigningPersonMissing."""
    signers = list(contract.signers.all())
    if not signers:
        raise SigningPersonMissing.single(
            "signers", _("Contract %(number)s has no signing person.") % {"number": contract.number},
            code="signing_person_missing",
        )  # fmt: skip
    return signers


@transaction.atomic
def contract_from_offer(
    *, version: OfferVersion, on_date: date, actor: AbstractBaseUser | None, now: datetime
) -> Contract:
    """The draft contract of an accepted offer version, with its signers and its printed PDF."""
    offer = version.offer
    opportunity = offer.opportunity
    customer = opportunity.customer
    signers = signers_for(customer=customer)
    template = offer.template
    contract = contract_create(
        company=offer.company,
        data=ContractData(
            customer_id=customer.pk,
            kind=template.contract_kind,
            product_id=template.product_id,
            price_list_id=version.price_list_id,
            start_date=version.start_date,
            end_date=version.end_date,
            supply_point_ids=[row["supply_point_id"] for row in version.comparison.get("points", [])],
            billing_cycle_months=version.billing_cycle_months,
            payment_term_days=version.payment_term_days,
            notice_period_days=version.notice_period_days,
            early_termination_fee=version.early_termination_fee,
        ),
        actor=actor,
        now=now,
    )
    contract.early_termination_fee_per_month = version.early_termination_fee_per_month
    contract.opportunity = opportunity
    contract.offer_version = version
    contract.renewal_of = opportunity.renewal_of
    contract.organisation = opportunity.organisation
    contract.agent = opportunity.owner
    contract.save(
        update_fields=[
            "early_termination_fee_per_month",
            "opportunity",
            "offer_version",
            "renewal_of",
            "organisation",
            "agent",
        ]
    )
    for signer in signers:
        signer.contract = contract
    ContractSigner.objects.bulk_create(signers)
    contract_document_issue(contract=contract, issued_on=on_date, actor=actor, now=now)
    return contract
