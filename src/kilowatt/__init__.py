"""Kilowatt: customer information and billing for electricity and gas retailers."""

from kilowatt.celery_app import app as celery_app

__all__ = ["celery_app"]
