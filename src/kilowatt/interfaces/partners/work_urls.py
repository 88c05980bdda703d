"""URLs of the partner portal's work with headquarters: messages, gifts, targets."""

from django.urls import path

from kilowatt.interfaces.partners import work_pages

urlpatterns: list = [
    path("messages/", work_pages.message_threads, name="message_threads"),
    path("messages/new/", work_pages.message_thread_new, name="message_thread_new"),
    path("messages/<int:thread_id>/", work_pages.message_thread, name="message_thread"),
    path("gifts/", work_pages.gifts, name="gifts"),
    path("gifts/hand-over/", work_pages.gift_hand_over_page, name="gift_hand_over"),
    path("targets/", work_pages.targets, name="targets"),
]
