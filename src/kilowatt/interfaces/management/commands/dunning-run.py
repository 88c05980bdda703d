"""kilowatt dunning-run [--date YYYY-MM-DD] [--company CODE]: the nightly collections run."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from kilowatt.core.clock import system_clock
from kilowatt.core.models import Company
from kilowatt.interfaces.cli.finance import dunning_nightly


class Command(BaseCommand):
    help = (
        "Run the nightly collections run (reminders before due dates, dunning steps, closing paid cases) "
        "for each active company or the ones named. Running a night again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the night, YYYY-MM-DD; default: today")
        parser.add_argument("--company", action="append", help="company code (repeatable); default: all")

    def handle(self, *args, date: str | None, company: list[str] | None, **options):
        try:
            night = _date(date) if date else system_clock.today()
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from exc
        companies = None
        if company:
            companies = list(Company.objects.filter(code__in=company))
            missing = set(company) - {c.code for c in companies}
            if missing:
                raise CommandError(f"no company with code {', '.join(sorted(missing))}")
        for run in dunning_nightly(on_date=night, now=system_clock.now(), companies=companies):
            counts = ", ".join(f"{key} {value}" for key, value in sorted(run.counts.items()))
            self.stdout.write(f"{run.company.code} {run.on_date}: {counts}")


_date = date.fromisoformat
