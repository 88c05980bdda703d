from django.apps import AppConfig


class CzechiaConfig(AppConfig):
    name = "kilowatt.territories.cz"
    label = "territory_cz"
    verbose_name = "Czechia"

    def ready(self) -> None:
        from kilowatt.core.territories import territory_register
        from kilowatt.territories.cz.rules import Czechia

        territory_register(Czechia())
