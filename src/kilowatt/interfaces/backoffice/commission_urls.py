"""URLs of the back office's commission pages."""

from django.urls import path

from kilowatt.interfaces.backoffice import commissions

urlpatterns = [
    path("commissions/", commissions.commissions_home, name="commissions"),
    path("commissions/settle/", commissions.month_settle_view, name="commission_settle"),
    path("commissions/payout/", commissions.payout_export_view, name="commission_payout"),
    path("commissions/payouts/<int:payout_id>/", commissions.payout_file_view, name="commission_payout_file"),
    path(
        "commissions/statements/<int:statement_id>/",
        commissions.statement_detail,
        name="commission_statement",
    ),
    path(
        "commissions/statements/<int:statement_id>/pdf/",
        commissions.statement_pdf_view,
        name="commission_statement_pdf",
    ),
    path(
        "commissions/statements/<int:statement_id>/xlsx/",
        commissions.statement_xlsx_view,
        name="commission_statement_xlsx",
    ),
]
