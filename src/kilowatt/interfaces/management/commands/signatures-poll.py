"""kilowatt signatures-poll [--limit N]: ask DocuSeal about the signature requests still waiting."""

from django.core.management.base import BaseCommand, CommandError

from kilowatt.core.clock import system_clock
from kilowatt.sales.docuseal import signature_requests_poll


class Command(BaseCommand):
    help = (
        "Read each pending DocuSeal signature request at DocuSeal and apply what it says: signers who "
        "signed, a signed contract, a decline, an expiry. For when the webhook is not set up; running it "
        "again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=100, help="at most this many requests, oldest first")

    def handle(self, *args, limit: int, **options):
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        report = signature_requests_poll(now=system_clock.now(), limit=limit)
        counts = f"checked {report.checked}, ended {len(report.changed)}, failed {len(report.failed)}"
        self.stdout.write(counts)
        for request_id in report.changed:
            self.stdout.write(f"request {request_id} ended")
        for request_id, reason in report.failed.items():
            self.stderr.write(f"request {request_id}: {reason}")
