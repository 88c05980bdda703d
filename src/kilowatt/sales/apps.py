from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "kilowatt.sales"
    label = "sales"
    verbose_name = _("Sales and contracts")

    def ready(self) -> None:
        # Provider "docuseal": each use builds its client from the settings of the moment
        # (DOCUSEAL_BACKEND "fake" or "api"), so the choice is made by configuration, not here.
        from kilowatt.sales.docuseal import DocuSealSignature
        from kilowatt.sales.models import SignatureProvider
        from kilowatt.sales.signatures import signature_backend_register

        signature_backend_register(SignatureProvider.DOCUSEAL, DocuSealSignature)
