"""kilowatt demo-logins: print where the demo runs and who can log in."""

from django.core.management.base import BaseCommand
from django.utils import translation

from kilowatt.core.models import Company
from kilowatt.interfaces.cli.demo_care import demo_care_tour
from kilowatt.interfaces.cli.demo_channels import DEMO_AGENTS
from kilowatt.interfaces.cli.demo_data import DEMO_PASSWORD, DEMO_STAFF


class Command(BaseCommand):
    help = "Print the demo URL and logins."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, port, **options):
        with translation.override("en"):
            self._print(port)

    def _print(self, port: str) -> None:
        self.stdout.write("")
        self.stdout.write(
            f"Kilowatt demo: http://127.0.0.1:{port}/   (API docs: http://127.0.0.1:{port}/api/v1/docs)"
        )
        self.stdout.write(f"Logins (password for all: {DEMO_PASSWORD}):")
        for username, role in DEMO_STAFF:
            self.stdout.write(f"  {username:<12} {role.label} — Kilowatt Demo Energia S.A.")
        self.stdout.write(
            f"  north-admin  {DEMO_STAFF[0][1].label} — Energia Północ Sp. z o.o. (second company)"
        )
        self.stdout.write(f"Partner portal: http://127.0.0.1:{port}/partners/")
        for username, organisation, role, _first, _last in DEMO_AGENTS:
            self.stdout.write(f"  {username:<12} {role.label} — {organisation}")
        company = Company.objects.filter(code="demo").first()
        tour = demo_care_tour(company=company) if company else None
        if tour is not None:
            self.stdout.write(f"Care tour (callcentre): outage {tour.outage.number} covers the points of")
            for caller in (tour.first_caller, tour.second_caller):
                self.stdout.write(f"  {caller.display_name} ({caller.number}, calls from {caller.phone})")
            if tour.complaint_customer is not None:
                complaint = tour.complaint_customer
                self.stdout.write(f"  invoice complaint: {complaint.display_name} ({complaint.number})")
        self.stdout.write("")
