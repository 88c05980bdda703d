"""kilowatt demo-logins: print where the demo runs and who can log in."""

from django.core.management.base import BaseCommand
from django.utils import translation

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
        self.stdout.write("")
