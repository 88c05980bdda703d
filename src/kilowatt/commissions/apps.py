from django.apps import AppConfig


class CommissionsConfig(AppConfig):
    name = "kilowatt.commissions"
    label = "commissions"
    verbose_name = "Commissions"

    def ready(self) -> None:
        from kilowatt.commissions.subscribers import subscribe

        subscribe()
