from django.urls import path

from kilowatt.interfaces.backoffice.imports import views

app_name = "imports"

urlpatterns = [
    path("customers/", views.customers, name="customers"),
    path("reads/", views.reads, name="reads"),
    path("intervals/", views.intervals, name="intervals"),
    path("batches/<int:batch_id>/", views.batch, name="batch"),
]
