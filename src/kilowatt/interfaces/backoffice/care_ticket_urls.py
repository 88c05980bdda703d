"""URLs of the care back office pages (tickets)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
