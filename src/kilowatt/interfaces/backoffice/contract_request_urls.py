"""URLs of contract requests, tender uploads into a draft contract and the DSO files."""

from django.urls import path

from kilowatt.interfaces.backoffice import contract_requests

urlpatterns: list = [
    path("contract-requests/", contract_requests.request_queue, name="contract_requests"),
    path("contract-requests/<int:request_id>/", contract_requests.request_detail, name="contract_request"),
    path(
        "contract-requests/<int:request_id>/action/",
        contract_requests.request_action,
        name="contract_request_action",
    ),
    path(
        "contracts/<int:contract_id>/request/",
        contract_requests.contract_request_new,
        name="contract_request_new",
    ),
    path(
        "contracts/<int:contract_id>/points-import/",
        contract_requests.contract_points_upload,
        name="contract_points_import",
    ),
    path("contracts/dso-export/", contract_requests.dso_export, name="dso_export"),
]
