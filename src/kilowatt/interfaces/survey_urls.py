"""The public satisfaction survey page (no login: the link's token names the survey)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
