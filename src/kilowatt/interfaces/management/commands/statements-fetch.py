"""kilowatt statements-fetch: import the bank statements waiting in the sources of STATEMENT_SOURCES."""

from django.core.management.base import BaseCommand

from kilowatt.core.clock import system_clock
from kilowatt.interfaces.cli.finance import statements_fetch


class Command(BaseCommand):
    help = "Import every statement waiting in the configured folders or SFTP accounts, and archive it there."

    def handle(self, *args, **options):
        report = statements_fetch(now=system_clock.now())
        for name in report.imported:
            self.stdout.write(f"imported {name}")
        for name in report.already:
            self.stdout.write(f"already imported {name}")
        for name, reason in report.refused.items():
            self.stderr.write(f"refused {name}: {reason}")
