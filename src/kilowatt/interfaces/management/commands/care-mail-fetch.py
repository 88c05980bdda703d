"""kilowatt care-mail-fetch: turn the e-mails waiting in CARE_MAILBOXES into tickets or ticket messages."""

from django.core.management.base import BaseCommand

from kilowatt.core.clock import system_clock
from kilowatt.interfaces.cli.care_mail import care_mail_fetch


class Command(BaseCommand):
    help = "Receive the e-mails waiting in the configured care mailboxes and archive them there."

    def handle(self, *args, **options):
        report = care_mail_fetch(now=system_clock.now())
        for number in report.tickets:
            self.stdout.write(f"new ticket {number}")
        for number in report.messages:
            self.stdout.write(f"message added to {number}")
        for name in report.duplicates:
            self.stdout.write(f"already received {name}")
        for name, reason in report.refused.items():
            self.stderr.write(f"refused {name}: {reason}")
