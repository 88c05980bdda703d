"""URLs of the care back office pages (outages)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
