"""URLs of the partner portal's commission pages."""

from django.urls import path

from kilowatt.interfaces.partners import commission_pages as pages

urlpatterns = [
    path("commissions/", pages.entries, name="commissions"),
    path("commissions/statements/", pages.statements, name="commission_statements"),
    path("commissions/statements/<int:statement_id>/", pages.statement, name="commission_statement"),
    path(
        "commissions/statements/<int:statement_id>/pdf/",
        pages.statement_pdf_view,
        name="commission_statement_pdf",
    ),
    path(
        "commissions/statements/<int:statement_id>/xlsx/",
        pages.statement_xlsx_view,
        name="commission_statement_xlsx",
    ),
    path(
        "commissions/statements/<int:statement_id>/accept/",
        pages.statement_accept_view,
        name="commission_statement_accept",
    ),
]
