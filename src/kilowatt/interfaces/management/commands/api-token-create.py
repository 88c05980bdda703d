"""kilowatt api-token-create --company CODE --name NAME --scopes read,write"""

from django.core.management.base import BaseCommand, CommandError

from kilowatt.core.clock import system_clock
from kilowatt.core.errors import ValidationFailed
from kilowatt.core.models import Company
from kilowatt.core.operations import api_token_create


class Command(BaseCommand):
    help = "Create an API token for an integration; the key is printed once and never stored."

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--scopes", default="read")

    def handle(self, *args, company, name, scopes, **options):
        target = Company.objects.filter(code=company).first()
        if target is None:
            raise CommandError(f"No company with code {company!r}")
        try:
            token, key = api_token_create(
                company=target, name=name, scopes=scopes.split(","), created_by=None, now=system_clock.now()
            )
        except ValidationFailed as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from exc
        self.stdout.write(key)
