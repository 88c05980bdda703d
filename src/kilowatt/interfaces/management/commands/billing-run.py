"""kilowatt billing-run --period 2026-01: bill the contracts whose billing period ends with that month."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from kilowatt.billing.runs import billing_run_totals
from kilowatt.core.clock import system_clock
from kilowatt.core.models import Company
from kilowatt.interfaces.cli.billing import billing_runs_start_for_month, dispatcher


class Command(BaseCommand):
    help = (
        "Create or resume the billing run of a month for each company (or the ones named) and execute it. "
        "Batches go to Celery workers when a broker is configured, otherwise they run here."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="the month, YYYY-MM")
        parser.add_argument("--company", action="append", help="company code (repeatable); default: all")
        parser.add_argument("--issue-date", help="YYYY-MM-DD; default: today")

    def handle(self, *args, period, company, issue_date, **options):
        try:
            year, month = (int(p) for p in period.split("-"))
            first = date(year, month, 1)
        except ValueError as exc:
            raise CommandError(f"--period must be YYYY-MM, not {period!r}") from exc
        try:
            issued_on = date.fromisoformat(issue_date) if issue_date else system_clock.today()
        except ValueError as exc:
            raise CommandError(f"--issue-date must be YYYY-MM-DD, not {issue_date!r}") from exc
        companies = None
        if company:
            companies = list(Company.objects.filter(code__in=company))
            missing = set(company) - {c.code for c in companies}
            if missing:
                raise CommandError(f"no company with code {', '.join(sorted(missing))}")
        runs = billing_runs_start_for_month(
            month=first, issue_date=issued_on, companies=companies, dispatch=dispatcher()
        )
        for run in runs:
            run.refresh_from_db()
            totals = billing_run_totals(run=run)
            parts = ", ".join(f"{status} {row['count']}" for status, row in sorted(totals.items()))
            issued = totals.get("issued", {"gross": 0})
            self.stdout.write(
                f"{run.company.code} {run}: {run.get_status_display()}; {parts or 'nothing due'}; "
                f"issued gross {issued['gross']} PLN"
            )
