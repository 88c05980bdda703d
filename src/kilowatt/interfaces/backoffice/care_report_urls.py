"""URLs of the care back office pages (reports)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
