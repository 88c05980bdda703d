"""URLs of the sales channels' back office pages: targets, gift stock, message threads with partners."""

from django.urls import path

from kilowatt.interfaces.backoffice import channels

urlpatterns: list = [
    path("channels/targets/", channels.targets, name="channel_targets"),
    path("channels/targets/new/", channels.target_new, name="channel_target_new"),
    path("channels/gifts/", channels.gifts, name="channel_gifts"),
    path("channels/gifts/action/", channels.gift_action, name="channel_gift_action"),
    path("channels/messages/", channels.threads, name="channel_threads"),
    path("channels/messages/new/", channels.thread_new, name="channel_thread_new"),
    path("channels/messages/<int:thread_id>/", channels.thread, name="channel_thread"),
]
