"""URLs of a contract's life after signing: annexes, cession, termination, renewals, its documents."""

from django.urls import path

from kilowatt.interfaces.backoffice import contract_lifecycle as views

urlpatterns: list = [
    path("contracts/ending/", views.contracts_ending_list, name="contracts_ending"),
    path("contracts/ending/renewals/", views.renewal_prepare, name="renewals_prepare"),
    path("contracts/<int:contract_id>/changes/", views.contract_changes, name="contract_changes"),
    path("contracts/<int:contract_id>/annexes/new/", views.annex_new, name="annex_new"),
    path("contracts/<int:contract_id>/annexes/<int:annex_id>/", views.annex_detail, name="annex"),
    path(
        "contracts/<int:contract_id>/annexes/<int:annex_id>/action/", views.annex_action, name="annex_action"
    ),
    path("contracts/<int:contract_id>/cession/", views.contract_cession, name="contract_cession"),
    path("contracts/<int:contract_id>/termination/", views.contract_termination, name="contract_termination"),
    path(
        "contracts/<int:contract_id>/documents/<int:document_id>/",
        views.contract_document,
        name="contract_document",
    ),
]
