"""Reads for collections: what is overdue (set-wise, for the nightly run), cases and their history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet

from kilowatt.collections.models import (
    CaseStatus,
    DebtDispute,
    DunningCase,
    DunningEvent,
    GridOrder,
    InstalmentPlan,
    Notice,
    PlanStatus,
)
from kilowatt.core.models import Company
from kilowatt.finance.models import Allocation, LedgerEntry
from kilowatt.parties.models import Customer


def overdue_by_customer(*, company: Company, on_date: date) -> dict[int, tuple[Decimal, date]]:
    """Every customer of the company owing something past its due date on ``on_date``: the overdue amount
    and the oldest unpaid due date. One aggregate query over the ledger, whatever the number of accounts."""
    entries, allocations = LedgerEntry._meta.db_table, Allocation._meta.db_table
    sql = f"""
        SELECT e.customer_id, SUM(e.amount - COALESCE(a.paid, 0)), MIN(e.due_date)
        FROM {entries} e
        LEFT JOIN (
            SELECT debit_id, SUM(amount) AS paid FROM {allocations} WHERE company_id = %s GROUP BY debit_id
        ) a ON a.debit_id = e.id
        WHERE e.company_id = %s AND e.amount > 0 AND e.due_date < %s
          AND e.amount - COALESCE(a.paid, 0) >= 0.005
        GROUP BY e.customer_id
    """  # noqa: S608 - table names come from the models, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [company.pk, company.pk, on_date])
        return {
            customer_id: (Decimal(amount).quantize(Decimal("0.01")), _as_date(oldest))
            for customer_id, amount, oldest in cursor.fetchall()
        }


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def cases_for_list(*, company: Company, status: str = "") -> QuerySet[DunningCase]:
    cases = DunningCase.objects.filter(company=company).select_related("customer", "step", "policy")
    cases = cases.filter(status=status) if status else cases.exclude(status=CaseStatus.CLOSED)
    return cases.order_by("-overdue_at_last_run", "pk")


def case_of_company(*, company: Company, case_id: int) -> DunningCase | None:
    return (
        DunningCase.objects.filter(company=company, pk=case_id)
        .select_related("customer", "step", "policy")
        .first()
    )


def case_history(*, case: DunningCase) -> QuerySet[DunningEvent]:
    return case.events.select_related("step").order_by("on_date", "pk")


def customers_disputing(*, company: Company) -> set[int]:
    return set(
        DebtDispute.objects.filter(company=company, closed_on__isnull=True).values_list(
            "customer_id", flat=True
        )
    )


def customers_on_plan(*, company: Company) -> set[int]:
    return set(
        InstalmentPlan.objects.filter(company=company, status=PlanStatus.ACTIVE).values_list(
            "customer_id", flat=True
        )
    )


def collections_of_customer(*, customer: Customer) -> dict:
    """Everything the collections team did for a customer, for the 360° page."""
    return {
        "cases": list(
            DunningCase.objects.filter(customer=customer)
            .select_related("step", "policy")
            .prefetch_related("events__step")
            .order_by("-opened_on", "-pk")[:5]
        ),
        "notices": list(Notice.objects.filter(customer=customer).order_by("-created_on", "-pk")[:10]),
        "plans": list(
            InstalmentPlan.objects.filter(customer=customer)
            .prefetch_related("instalments")
            .order_by("-agreed_on")[:3]
        ),
        "disputes": list(DebtDispute.objects.filter(customer=customer).order_by("-opened_on")[:3]),
        "orders": list(GridOrder.objects.filter(case__customer=customer).select_related("supply_point")[:5]),
    }


def cases_to_call(*, company: Company) -> QuerySet[DunningCase]:
    """Open cases whose current step is a phone call: the collections team's call list."""
    return (
        DunningCase.objects.filter(company=company, status=CaseStatus.OPEN, step__action="phone_task")
        .select_related("customer", "step")
        .order_by("step_on", "pk")
    )
