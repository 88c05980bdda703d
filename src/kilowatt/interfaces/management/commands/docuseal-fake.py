"""kilowatt docuseal-fake list | complete ID | decline ID | expire ID: play the signers at the fake DocuSeal.

For the demo and manual tests with DOCUSEAL_BACKEND=fake: the submission changes as if its signers acted
at DocuSeal, and the webhooks DocuSeal would send are delivered to Kilowatt in this process, checked like
any other (use --no-webhook to leave the news to ``kilowatt signatures-poll``).
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kilowatt.core.clock import system_clock
from kilowatt.sales.docuseal import (
    DocuSealError,
    FakeDocuSeal,
    SignatureWebhookRefused,
    signature_webhook_receive,
)


class Command(BaseCommand):
    help = "List the fake DocuSeal's submissions, or complete, decline or expire one (webhooks delivered)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "complete", "decline", "expire"])
        parser.add_argument("submission", nargs="?", help="the submission id (see list)")
        parser.add_argument("--submitter", help="this submitter id only (default: all left, or the first)")
        parser.add_argument("--reason", default="", help="why the signer declines")
        parser.add_argument("--no-webhook", action="store_true", help="do not deliver the webhooks")

    def handle(self, *args, action: str, submission: str | None, **options):
        if settings.DOCUSEAL_BACKEND != "fake":
            raise CommandError("DOCUSEAL_BACKEND is not fake: there is no fake DocuSeal to play")
        fake = FakeDocuSeal(directory=settings.DOCUSEAL_FAKE_DIR)
        if action == "list":
            for state in fake.submissions():
                signers = ", ".join(f"{s['id']} {s['name']} {s['status']}" for s in state["submitters"])
                self.stdout.write(f"{state['id']} {state['status']} {state['name']}: {signers}")
            return
        if not submission:
            raise CommandError(f"{action} needs a submission id")
        now = system_clock.now()
        submitter = options["submitter"]
        try:
            if action == "complete":
                deliveries = fake.complete(submission_id=submission, submitter_id=submitter, now=now)
            elif action == "decline":
                deliveries = fake.decline(
                    submission_id=submission, submitter_id=submitter, reason=options["reason"], now=now
                )
            else:
                deliveries = fake.expire(submission_id=submission, now=now)
        except DocuSealError as error:
            raise CommandError(error.message) from None
        for delivery in deliveries:
            if options["no_webhook"]:
                self.stdout.write(f"{delivery.event_type} (not delivered)")
                continue
            try:
                request = signature_webhook_receive(body=delivery.body, headers=delivery.headers, now=now)
            except (SignatureWebhookRefused, DocuSealError) as error:
                raise CommandError(f"{delivery.event_type}: {error.message}") from None
            outcome = f"request {request.pk} {request.status}" if request else "not a request of ours"
            self.stdout.write(f"{delivery.event_type}: {outcome}")
