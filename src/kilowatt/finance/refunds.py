"""Refunds of overpayments: requested, approved by another person, posted, exported as a transfer file.

A refund uses the customer's credit: approval posts it to the ledger as a debit that the credit settles.
The transfer file (Elixir-O or ISO 20022 pain.001) is kept byte for byte with the refunds it carries.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Company
from kilowatt.core.money import ZERO, is_money, money_round
from kilowatt.finance.allocation import ledger_allocate_many
from kilowatt.finance.models import (
    FinancePolicy,
    LedgerEntry,
    LedgerEntryKind,
    Refund,
    RefundStatus,
    TransferExport,
)
from kilowatt.finance.transfers import Payer, Transfer, TransferInvalid, transfers_elixir, transfers_pain001
from kilowatt.parties.models import Customer

TRANSFER_FORMATS = ("elixir", "pain001")


def _account_normalised(account: str) -> str:
    compact = account.replace(" ", "").upper()
    if compact.isdigit() and len(compact) == 26:
        compact = "PL" + compact
    try:
        return str(IBAN(compact))
    except SchwiftyException:
        raise ValidationFailed.single("account", _("This is not a valid bank account number.")) from None


def refundable_credit(*, customer: Customer) -> Decimal:
    """Credit the customer holds less refunds already requested or approved and not yet posted."""
    # SQLite sums decimals as floats: back to the grosz
    balance = money_round(
        LedgerEntry.objects.filter(customer=customer).aggregate(s=Sum("amount"))["s"] or ZERO
    )
    pending = money_round(
        Refund.objects.filter(customer=customer, status=RefundStatus.REQUESTED).aggregate(s=Sum("amount"))[
            "s"
        ]
        or ZERO
    )
    return max(-balance - pending, ZERO)


@transaction.atomic
def refund_request(
    *, customer: Customer, amount: Decimal, account: str, reason: str, requested_by: str, now: datetime
) -> Refund:
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    available = refundable_credit(customer=customer)
    if not is_money(amount) or amount <= 0 or amount > available:
        raise ValidationFailed.single(
            "amount", _("Refund more than 0 and at most the credit of %(credit)s.") % {"credit": available}
        )
    return Refund.objects.create(
        company_id=customer.company_id,
        customer=customer,
        amount=amount,
        account=_account_normalised(account),
        status=RefundStatus.REQUESTED,
        reason=reason.strip()[:200],
        requested_by=requested_by,
        requested_at=now,
    )


@transaction.atomic
def refund_decide(*, refund: Refund, approve: bool, decided_by: str, on_date: date, now: datetime) -> Refund:
    """Approve (posting the refund) or reject a requested refund; the requester cannot decide it."""
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.status != RefundStatus.REQUESTED:
        raise ValidationFailed.single("refund", _("This refund was already decided."))
    if decided_by == refund.requested_by:
        raise ValidationFailed.single(
            "refund", _("A refund is approved by someone other than who asked for it.")
        )
    refund.decided_by, refund.decided_at = decided_by, now
    if not approve:
        refund.status = RefundStatus.REJECTED
        refund.save(update_fields=["status", "decided_by", "decided_at"])
        return refund
    Customer.objects.select_for_update().filter(pk=refund.customer_id).first()
    balance = money_round(
        LedgerEntry.objects.filter(customer_id=refund.customer_id).aggregate(s=Sum("amount"))["s"] or ZERO
    )
    if refund.amount > -balance:
        raise ValidationFailed.single(
            "amount",
            _("The customer's credit is now %(credit)s, less than the refund.")
            % {"credit": max(-balance, ZERO)},
        )
    refund.status = RefundStatus.APPROVED
    refund.save(update_fields=["status", "decided_by", "decided_at"])
    LedgerEntry.objects.create(
        company_id=refund.company_id,
        customer_id=refund.customer_id,
        kind=LedgerEntryKind.REFUND,
        document_type="refund",
        document_id=refund.pk,
        document_number=f"ZW/{refund.pk}",
        amount=refund.amount,
        posted_on=on_date,
        due_date=on_date,
        created_at=now,
    )
    ledger_allocate_many(company_id=refund.company_id, customer_ids=[refund.customer_id], now=now)
    return refund


@transaction.atomic
def refunds_export(
    *, company: Company, file_format: str, execution_date: date, created_by: str, now: datetime
) -> TransferExport | None:
    """Put every approved refund not yet exported into one transfer file; None when there is none."""
    if file_format not in TRANSFER_FORMATS:
        raise ValidationFailed.single("format", _("Choose Elixir-O or pain.001."))
    policy = FinancePolicy.objects.filter(company=company).first()
    if policy is None or not policy.refund_account:
        raise ValidationFailed.single("refund_account", _("Set the account refunds are paid from first."))
    refunds = list(
        Refund.objects.select_for_update()
        .filter(company=company, status=RefundStatus.APPROVED, export__isnull=True)
        .select_related("customer", "customer__address")
        .order_by("pk")
    )
    if not refunds:
        return None
    payer = Payer(name=company.name, address="", account=policy.refund_account)
    transfers = [
        Transfer(
            end_to_end_id=f"ZW{refund.pk}",
            amount=refund.amount,
            recipient_name=refund.customer.display_name,
            recipient_address=str(refund.customer.address),
            recipient_account=refund.account,
            title=_("Refund of overpayment, customer %(number)s") % {"number": refund.customer.number},
        )
        for refund in refunds
    ]
    try:
        if file_format == "elixir":
            content = transfers_elixir(payer=payer, transfers=transfers, execution_date=execution_date)
            name = f"refunds-{execution_date:%Y%m%d}.pli"
        else:
            message_id = f"KW-REF-{company.pk}-{now:%Y%m%d%H%M%S}"
            content = transfers_pain001(
                payer=payer,
                transfers=transfers,
                execution_date=execution_date,
                message_id=message_id,
                created_at=now,
            )
            name = f"refunds-{execution_date:%Y%m%d}.xml"
    except TransferInvalid as invalid:
        raise ValidationFailed.single(invalid.field, str(invalid)) from None
    export = TransferExport.objects.create(
        company=company,
        format=file_format,
        file_name=name,
        content=content,
        execution_date=execution_date,
        total=sum((r.amount for r in refunds), ZERO),
        count=len(refunds),
        created_by=created_by,
        created_at=now,
    )
    Refund.objects.filter(pk__in=[r.pk for r in refunds]).update(export=export, status=RefundStatus.EXPORTED)
    return export
