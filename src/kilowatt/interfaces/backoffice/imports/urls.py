from django.urls import path

from kilowatt.interfaces.backoffice.imports import views

app_name = "imports"

urlpatterns = [path("customers/", views.customers, name="customers")]
