from django.contrib import admin
from django.urls import include, path

from kilowatt.interfaces.api.app import api
from kilowatt.interfaces.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("kilowatt.interfaces.backoffice.urls")),
]
