from django.apps import AppConfig


class PolandConfig(AppConfig):
    name = "kilowatt.territories.pl"
    label = "territory_pl"
    verbose_name = "Poland"

    def ready(self) -> None:
        from kilowatt.core.territories import territory_register
        from kilowatt.territories.pl.rules import Poland

        territory_register(Poland())
