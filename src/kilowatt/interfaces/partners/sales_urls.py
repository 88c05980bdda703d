"""URLs of the partner portal's sales pages (names in the ``partners`` namespace)."""

from django.urls import path

from kilowatt.interfaces.partners import contract_pages, offer_pages
from kilowatt.interfaces.partners import sales_pages as pages

urlpatterns = [
    path("leads/", pages.lead_list, name="leads"),
    path("leads/new/", pages.lead_new, name="lead_new"),
    path("leads/<int:lead_id>/", pages.lead_detail, name="lead"),
    path("leads/<int:lead_id>/convert/", pages.lead_convert_page, name="lead_convert"),
    path("customers/", pages.customer_list, name="customers"),
    path("customers/<int:customer_id>/", pages.customer_detail, name="customer"),
    path("opportunities/<int:opportunity_id>/", offer_pages.opportunity_detail, name="opportunity"),
    path(
        "opportunities/<int:opportunity_id>/supply-points/new/",
        offer_pages.opportunity_point_new,
        name="opportunity_point_new",
    ),
    path(
        "opportunities/<int:opportunity_id>/supply-points/",
        offer_pages.opportunity_point_add,
        name="opportunity_point_add",
    ),
    path(
        "opportunities/<int:opportunity_id>/signing-person/",
        offer_pages.opportunity_signer_add,
        name="opportunity_signer_add",
    ),
    path("opportunities/<int:opportunity_id>/offers/new/", offer_pages.offer_new, name="offer_new"),
    path("offers/<int:offer_id>/", offer_pages.offer_detail, name="offer"),
    path("offers/<int:offer_id>/action/", offer_pages.offer_action, name="offer_action"),
    path(
        "offers/<int:offer_id>/versions/<int:version>/pdf/", offer_pages.offer_version_pdf, name="offer_pdf"
    ),
    path("contracts/", contract_pages.contract_list, name="contracts"),
    path("contracts/<int:contract_id>/", contract_pages.contract_detail, name="contract"),
    path(
        "contracts/<int:contract_id>/signature/", contract_pages.contract_signature, name="contract_signature"
    ),
    path(
        "contracts/<int:contract_id>/documents/<int:document_id>/",
        contract_pages.contract_document,
        name="contract_document",
    ),
]
