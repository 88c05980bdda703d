from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "kilowatt.channels"
    label = "channels"
    verbose_name = "Sales channels"
