from django.contrib import admin
from django.urls import include, path

from kilowatt.interfaces.api.app import api
from kilowatt.interfaces.gateway_fake import fake_gateway_page
from kilowatt.interfaces.health import healthz
from kilowatt.interfaces.signing import sign_document, sign_page

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("fake-gateway/<str:token>", fake_gateway_page, name="fake_gateway"),
    path("sign/<str:token>/", sign_page, name="sign"),
    path("sign/<str:token>/document/", sign_document, name="sign_document"),
    path("survey/", include("kilowatt.interfaces.survey_urls")),
    path("partners/", include("kilowatt.interfaces.partners.urls")),
    path("", include("kilowatt.interfaces.backoffice.urls")),
]
