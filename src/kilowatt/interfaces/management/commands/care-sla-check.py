"""kilowatt care-sla-check [--company CODE]: flag the open tickets past their SLA, once."""

from django.core.management.base import BaseCommand, CommandError

from kilowatt.core.clock import system_clock
from kilowatt.core.models import Company
from kilowatt.interfaces.cli.care import sla_check_all


class Command(BaseCommand):
    help = (
        "Flag the open tickets whose SLA (business hours, not counting waiting) ran out, in every active "
        "company. Each ticket is flagged once; running it again flags nothing twice. Beat runs it every "
        "15 minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", action="append", help="company code (repeatable); default: all")

    def handle(self, *args, company: list[str] | None, **options):
        if company:
            active = Company.objects.filter(is_active=True, code__in=company)
            known = set(active.values_list("code", flat=True))
            missing = set(company) - known
            if missing:
                raise CommandError(f"no active company with code {', '.join(sorted(missing))}")
        flagged = sla_check_all(now=system_clock.now(), codes=company)
        for code, count in flagged.items():
            self.stdout.write(f"{code}: {count} flagged")
        self.stdout.write(f"Tickets flagged past their SLA: {sum(flagged.values())}")
