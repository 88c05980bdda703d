from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kilowatt.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from kilowatt.core.lookups import lookups_register

        lookups_register()
