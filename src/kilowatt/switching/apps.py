from django.apps import AppConfig


class SwitchingConfig(AppConfig):
    name = "kilowatt.switching"
    label = "switching"
    verbose_name = "Supplier switching"

    def ready(self) -> None:
        from kilowatt.switching.subscribers import subscribe

        subscribe()
