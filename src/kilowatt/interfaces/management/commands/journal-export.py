"""kilowatt journal-export --company CODE --day YYYY-MM-DD --format csv|xml --output PATH"""

import getpass
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from kilowatt.core.clock import system_clock
from kilowatt.core.errors import DomainError, ValidationFailed
from kilowatt.core.models import Company
from kilowatt.finance.journal import JOURNAL_FORMATS, journal_accounts_default, journal_export


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in some containers
        return "cli"


class Command(BaseCommand):
    help = (
        "Write a company's accounting journal of one day (which must be over) to a CSV or XML file and "
        "record the export. The same day exported again gives an identical file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, help="company code")
        parser.add_argument("--day", required=True, help="the day, YYYY-MM-DD")
        parser.add_argument(
            "--format", required=True, choices=JOURNAL_FORMATS, dest="file_format", help="file format"
        )
        parser.add_argument("--output", required=True, help="the file to write")
        parser.add_argument(
            "--default-accounts",
            action="store_true",
            help="first create the default account mapping for the entry kinds that have none",
        )

    def handle(self, *args, company, day, file_format, output, default_accounts, **options):
        target = Company.objects.filter(code=company).first()
        if target is None:
            raise CommandError(_("No company with code %(code)s.") % {"code": repr(company)})
        try:
            on_day = date.fromisoformat(day)
        except ValueError as exc:
            raise CommandError(_("--day must be YYYY-MM-DD, not %(day)s.") % {"day": repr(day)}) from exc
        if default_accounts:
            created = journal_accounts_default(company=target)
            self.stdout.write(_("Default account mappings created: %(count)d.") % {"count": created})
        path = Path(output)
        try:
            # The export is recorded only when the file was written.
            with transaction.atomic():
                content, record = journal_export(
                    company=target,
                    day=on_day,
                    file_format=file_format,
                    exported_by=_who(),
                    now=system_clock.now(),
                )
                path.write_bytes(content)
        except ValidationFailed as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(path)s: %(reason)s") % {"path": path, "reason": exc}
            ) from exc
        self.stdout.write(
            _(
                "%(company)s %(day)s: %(entries)d entries, debit %(debit)s, credit %(credit)s, "
                "SHA-256 %(hash)s, written to %(path)s"
            )
            % {
                "company": target.code,
                "day": on_day.isoformat(),
                "entries": record.entries,
                "debit": record.debit_total,
                "credit": record.credit_total,
                "hash": record.file_hash,
                "path": path,
            }
        )
