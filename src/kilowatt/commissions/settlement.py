"""Monthly commission statements per organisation, their acceptance by the organisation, and the export for
payout (netting a payee's statements, so a clawback larger than a month is recovered later)."""

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from kilowatt.channels.models import Organisation
from kilowatt.commissions.models import (
    CommissionEntry,
    CommissionPayout,
    CommissionStatement,
    StatementLine,
    StatementStatus,
)
from kilowatt.commissions.queries import (
    PayoutBalance,
    PayoutBatch,
    PayoutRow,
    payout_balances,
    statements_awaiting_payout,
)
from kilowatt.commissions.statements import payout_file
from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.core.models import AuditEntry, Company
from kilowatt.core.money import ZERO, money_round
from kilowatt.core.numbering import number_series_next
from kilowatt.core.operations import audit_record
from kilowatt.core.periods import month_start

STATEMENT_SERIES = "commission_statement"


# --- statements ------------------------------------------------------------------------------------


class MonthNotEnded(ValidationFailed):
    code = "month_not_ended"


class StatementNotOpen(DomainError):
    code = "statement_not_open"


class NothingToPayOut(DomainError):
    code = "nothing_to_pay_out"


@transaction.atomic
def month_settle(*, company: Company, month: date, on_date: date, now: datetime) -> list[CommissionStatement]:
    """Settle a month: a statement per organisation with every entry up to the month's end not settled
    before, numbered from the gap-free series. An organisation already settled for the month keeps its
    statement unchanged (later entries go on the next month's); settling again creates nothing new.
    A month that has not ended by ``on_date`` is refused (MonthNotEnded). Returns the month's statements."""
    period_start = month_start(month)
    period_end = month_start(period_start, offset=1)
    if period_end > on_date:
        raise MonthNotEnded.single(
            "month",
            _("%(month)s has not ended yet: settle it from %(day)s.")
            % {"month": period_start.strftime("%Y-%m"), "day": period_end.isoformat()},
            code="month_not_ended",
        )
    Company.objects.select_for_update().filter(pk=company.pk).first()  # one settlement at a time
    settled = set(
        CommissionStatement.objects.filter(company=company, period_start=period_start).values_list(
            "organisation_id", flat=True
        )
    )
    pending = (
        CommissionEntry.objects.filter(
            company=company,
            occurred_on__lt=period_end,
            statement_line__isnull=True,
            organisation__isnull=False,
        )
        .exclude(organisation_id__in=settled)
        .select_related("organisation")
        .order_by("organisation__path", "id")
    )
    by_organisation: dict[int, list[CommissionEntry]] = {}
    for entry in pending:
        by_organisation.setdefault(entry.organisation_id, []).append(entry)
    for entries in by_organisation.values():
        business = sum((e.amount for e in entries if e.agent_id is not None), ZERO)
        own = sum((e.amount for e in entries if e.agent_id is None), ZERO)
        statement = CommissionStatement.objects.create(
            company=company,
            organisation=entries[0].organisation,
            number=number_series_next(
                company=company, document_type=STATEMENT_SERIES, year=period_start.year
            ),
            period_start=period_start,
            period_end=period_end,
            business_total=business,
            own_total=own,
            total=business + own,
            status=StatementStatus.ISSUED,
            issued_at=now,
        )
        StatementLine.objects.bulk_create(StatementLine(statement=statement, entry=e) for e in entries)
    return list(
        CommissionStatement.objects.filter(company=company, period_start=period_start)
        .select_related("organisation")
        .order_by("organisation__path")
    )


@transaction.atomic
def statement_accept(
    *, statement: CommissionStatement, actor: AbstractBaseUser, now: datetime
) -> CommissionStatement:
    """The organisation accepts its statement (the interface checks the user may: a manager of it).
    Raises StatementNotOpen when it was accepted (or paid out) before."""
    statement = CommissionStatement.objects.select_for_update().select_related("company").get(pk=statement.pk)
    if statement.status != StatementStatus.ISSUED:
        raise StatementNotOpen(
            _("Statement %(number)s was already accepted.") % {"number": statement.number},
            field="status",
        )
    statement.status = StatementStatus.ACCEPTED
    statement.accepted_at = now
    statement.accepted_by = actor
    statement.save(update_fields=["status", "accepted_at", "accepted_by"])
    audit_record(
        company=statement.company,
        instance=statement,
        action=AuditEntry.Action.UPDATED,
        before={"status": StatementStatus.ISSUED},
        after={"status": StatementStatus.ACCEPTED},
        actor=actor,
        at=now,
    )
    return statement


def _payout_details(organisation: Organisation, holders: dict[int, Organisation]) -> tuple[str, str]:
    """NIP and IBAN of the organisation, else of the nearest organisation above it that has them."""
    chain = [int(part) for part in organisation.path.strip("/").split("/") if part]
    nip = iban = ""
    for organisation_id in reversed(chain):
        holder = holders.get(organisation_id)
        if holder is None:
            continue
        nip = nip or holder.nip
        iban = iban or holder.bank_account.replace(" ", "").upper()
    return nip, iban


def balances_text(balances: Iterable[PayoutBalance]) -> str:
    """``Partner alpha: -30.54 PLN (RP/000003/2026, RP/000004/2026)``, one after another."""
    return "; ".join(
        _("%(organisation)s: %(total)s PLN (%(numbers)s)")
        % {"organisation": b.organisation.name, "total": b.total, "numbers": b.numbers}
        for b in balances
    )


@transaction.atomic
def payout_export(
    *,
    company: Company,
    month: date | None,
    actor: AbstractBaseUser | None,
    now: datetime,
    file_format: str = "xlsx",
) -> PayoutBatch:
    """The payout of ``month`` (every month when None): per organisation, every accepted statement not
    paid out yet of that month and the months before, those with a negative total included, is netted.
    A positive net is one row of the batch (its statements listed) and all those statements become paid
    out, each in one payout only; a net of zero or less pays nothing and leaves them accepted, carried to
    the next payout (``carried``): a clawback larger than a month's commission is recovered from later
    months. An organisation without a bank account (its own or above it) stays accepted as well
    (``missing_account``). The file (XLSX or CSV) is kept as a CommissionPayout the statements point at, so
    it can be downloaded again. Raises NothingToPayOut when there is no row to export."""
    statements = list(
        statements_awaiting_payout(company=company, month=month).select_for_update(of=("self",))
    )
    balances = payout_balances(statements=statements)
    ids = {int(part) for b in balances for part in b.organisation.path.strip("/").split("/") if part}
    holders = {o.pk: o for o in Organisation.objects.filter(pk__in=ids)}
    rows: list[PayoutRow] = []
    missing: list[PayoutBalance] = []
    carried: list[PayoutBalance] = []
    for balance in balances:
        if not balance.payable:
            carried.append(balance)
            continue
        nip, iban = _payout_details(balance.organisation, holders)
        if not iban:
            missing.append(balance)
            continue
        rows.append(
            PayoutRow(
                balance.statements, balance.organisation.name, nip, iban, balance.numbers, balance.total
            )
        )
    if not rows:
        if missing:
            message = _("No organisation owed a payout has a bank account: %(balances)s.") % {
                "balances": balances_text(missing)
            }
        elif carried:
            message = _(
                "Nothing to pay out: the accepted statements net to zero or less and are carried to "
                "the next payout: %(balances)s."
            ) % {"balances": balances_text(carried)}
        else:
            message = _("No accepted statement is waiting for payout.")
        raise NothingToPayOut(message)
    paid = [statement for row in rows for statement in row.statements]
    CommissionStatement.objects.filter(pk__in=[s.pk for s in paid]).update(
        status=StatementStatus.PAID_OUT, paid_out_at=now
    )
    for statement in paid:
        audit_record(
            company=company,
            instance=statement,
            action=AuditEntry.Action.UPDATED,
            before={"status": StatementStatus.ACCEPTED},
            after={"status": StatementStatus.PAID_OUT},
            actor=actor,
            at=now,
        )
    batch = PayoutBatch(rows, missing, carried)
    content, content_type = payout_file(batch=batch, file_format=file_format)
    stem = f"commission-payout-{month:%Y-%m}" if month else "commission-payout"
    payout = CommissionPayout.objects.create(
        company=company,
        month=month_start(month) if month else None,
        file_name=f"{stem}-{now.date().isoformat()}.{file_format}",
        content_type=content_type,
        content=content,
        total=batch.total,
        created_at=now,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    CommissionStatement.objects.filter(pk__in=[s.pk for s in paid]).update(payout=payout)
    return replace(batch, payout=payout)


def statement_totals_check(*, statement: CommissionStatement) -> bool:
    """The statement's totals equal the sum of its lines (a consistency check for tests and audits)."""
    sums = statement.lines.aggregate(
        business=Sum("entry__amount", filter=Q(entry__agent__isnull=False)),
        own=Sum("entry__amount", filter=Q(entry__agent__isnull=True)),
    )
    business = money_round(Decimal(str(sums["business"] or 0)))
    own = money_round(Decimal(str(sums["own"] or 0)))
    return (business, own, business + own) == (statement.business_total, statement.own_total, statement.total)
