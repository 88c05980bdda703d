from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterfacesConfig(AppConfig):
    name = "kilowatt.interfaces"
    label = "interfaces"
    verbose_name = _("Interfaces")

    def ready(self) -> None:
        from kilowatt.interfaces.backoffice import (
            billing_panels,
            care_panels,
            collections_panels,
            customer_panels,
            sales_panels,
            switching_panels,
        )

        customer_panels.register()
        billing_panels.register()
        collections_panels.register()
        sales_panels.register()
        switching_panels.register()
        care_panels.register()
