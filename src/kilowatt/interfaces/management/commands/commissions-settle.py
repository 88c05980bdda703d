"""kilowatt commissions-settle --month YYYY-MM [--company CODE]: commission statements of a month."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from kilowatt.commissions.settlement import month_settle
from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError
from kilowatt.core.models import Company


class Command(BaseCommand):
    help = (
        "Settle a month's commissions: a statement per organisation with every entry not settled before. "
        "Settling a month again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM, a month that has ended")
        parser.add_argument("--company", action="append", help="company code (repeatable); default: all")

    def handle(self, *args, month: str, company: list[str] | None, **options):
        try:
            first = date.fromisoformat(f"{month}-01")
        except ValueError as exc:
            raise CommandError(f"--month must be YYYY-MM, not {month!r}") from exc
        companies = Company.objects.filter(is_active=True)
        if company:
            companies = companies.filter(code__in=company)
            missing = set(company) - {c.code for c in companies}
            if missing:
                raise CommandError(f"no company with code {', '.join(sorted(missing))}")
        for target in companies.order_by("code"):
            try:
                statements = month_settle(
                    company=target, month=first, on_date=system_clock.today(), now=system_clock.now()
                )
            except DomainError as failed:
                raise CommandError(f"{target.code}: {failed.message}") from failed
            total = sum((s.total for s in statements), start=0)
            self.stdout.write(f"{target.code} {month}: {len(statements)} statements, {total} PLN")
