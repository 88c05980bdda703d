from django.apps import AppConfig


class SlovakiaConfig(AppConfig):
    name = "kilowatt.territories.sk"
    label = "territory_sk"
    verbose_name = "Slovakia"

    def ready(self) -> None:
        from kilowatt.core.territories import territory_register
        from kilowatt.territories.sk.rules import Slovakia

        territory_register(Slovakia())
