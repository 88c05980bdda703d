"""URLs of contract_request_urls pages."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
