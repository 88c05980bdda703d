from django.contrib.auth import views as auth_views
from django.urls import include, path

from kilowatt.interfaces.partners import views

app_name = "partners"

urlpatterns = [
    path("login/", views.PartnerLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="partners:login"), name="logout"),
    path("", views.home, name="home"),
    path("", include("kilowatt.interfaces.partners.sales_urls")),
    path("", include("kilowatt.interfaces.partners.commission_urls")),
    path("", include("kilowatt.interfaces.partners.work_urls")),
    path("", include("kilowatt.interfaces.partners.care_urls")),
]
