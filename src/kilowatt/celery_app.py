"""Celery application. Without CELERY_BROKER_URL tasks run eagerly in-process (demo, tests)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kilowatt.settings")

app = Celery("kilowatt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["kilowatt.interfaces.tasks"])
app.autodiscover_tasks(["kilowatt.interfaces.tasks"], related_name="signatures")
app.autodiscover_tasks(["kilowatt.interfaces.tasks"], related_name="commissions")
app.autodiscover_tasks(["kilowatt.interfaces.tasks"], related_name="care")
