from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "kilowatt.care"
    label = "care"
    verbose_name = "Customer care"
