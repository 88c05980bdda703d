"""Partner portal: sign-in and the home page (each part of the portal contributes its panels)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from kilowatt.interfaces.partners import commission_pages, sales_pages, work_pages
from kilowatt.interfaces.partners.access import partner_page


class PartnerLoginView(auth_views.LoginView):
    template_name = "partners/login.html"

    def get_default_redirect_url(self) -> str:
        return reverse("partners:home")


@partner_page
def home(request: HttpRequest) -> HttpResponse:
    panels = [
        *sales_pages.home_panels(request),
        *commission_pages.home_panels(request),
        *work_pages.home_panels(request),
    ]
    return render(request, "partners/home.html", {"panels": panels})
