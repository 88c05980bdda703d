from django.apps import AppConfig


class CommissionsConfig(AppConfig):
    name = "kilowatt.commissions"
    label = "commissions"
    verbose_name = "Commissions"
