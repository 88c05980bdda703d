from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "kilowatt.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from kilowatt.billing.subscribers import read_recorded, termination_penalty_charge
        from kilowatt.core.operations import event_subscribe

        event_subscribe("metering.read.recorded-v1", read_recorded)
        event_subscribe("sales.contract.terminated-v1", termination_penalty_charge)
