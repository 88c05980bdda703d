"""URLs of offer and contract pages."""

from django.urls import path

from kilowatt.interfaces.backoffice import offers

urlpatterns = [
    path("opportunities/<int:opportunity_id>/offers/new/", offers.offer_new, name="offer_new"),
    path(
        "opportunities/<int:opportunity_id>/supply-points/",
        offers.opportunity_point_add,
        name="opportunity_point_add",
    ),
    path("offers/<int:offer_id>/", offers.offer_detail, name="offer"),
    path("offers/<int:offer_id>/action/", offers.offer_action, name="offer_action"),
    path("offers/<int:offer_id>/versions/<int:version>/pdf/", offers.offer_version_pdf, name="offer_pdf"),
    path("contracts/<int:contract_id>/", offers.contract_detail, name="contract"),
    path("contracts/<int:contract_id>/signature/", offers.contract_signature, name="contract_signature"),
]
