from django.contrib.auth import views as auth_views
from django.urls import include, path

from kilowatt.interfaces.backoffice import (
    billing,
    collections,
    leads,
    metering,
    opportunities,
    payments,
    views,
)

app_name = "backoffice"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="backoffice/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("company/", views.switch_company, name="switch_company"),
    path("search/", views.search, name="search"),
    path("customers/new/", views.customer_form, name="customer_new"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer"),
    path("customers/<int:customer_id>/edit/", views.customer_form, name="customer_edit"),
    path("customers/<int:customer_id>/supply-points/new/", views.supply_point_form, name="supply_point_new"),
    path("customers/<int:customer_id>/contracts/new/", views.contract_form, name="contract_new"),
    path("customers/<int:customer_id>/contacts/new/", views.contact_form, name="contact_new"),
    path("customers/<int:customer_id>/consents/", views.consent_change, name="consent_change"),
    path("contracts/<int:contract_id>/status/", views.contract_status, name="contract_status"),
    path("supply-points/<int:supply_point_id>/meters/new/", views.meter_mount, name="meter_mount"),
    path(
        "supply-points/<int:supply_point_id>/reads/", metering.supply_point_reads, name="supply_point_reads"
    ),
    path("lists/<slug:list_key>/", views.object_list, name="list"),
    path("leads/new/", leads.lead_new, name="lead_new"),
    path("leads/import/", leads.leads_upload, name="leads_import"),
    path("campaigns/", leads.campaigns, name="campaigns"),
    path("campaigns/<int:campaign_id>/", leads.campaign_detail, name="campaign"),
    path("leads/<int:lead_id>/", opportunities.lead_detail, name="lead"),
    path("opportunities/<int:opportunity_id>/", opportunities.opportunity_detail, name="opportunity"),
    path(
        "opportunities/<int:opportunity_id>/action/",
        opportunities.opportunity_action,
        name="opportunity_action",
    ),
    path("dictionaries/", views.dictionaries, name="dictionaries"),
    path("tariffs/", views.tariffs, name="tariffs"),
    path("payments/", payments.payments, name="payments"),
    path("payments/<int:transaction_id>/assign/", payments.payment_assign, name="payment_assign"),
    path("payments/<int:transaction_id>/return/", payments.payment_return, name="payment_return"),
    path("payments/refunds/<int:refund_id>/", payments.refund_decision, name="refund_decision"),
    path("payments/refunds/export/", payments.refunds_export_view, name="refunds_export"),
    path("payments/transfer-files/<int:export_id>/", payments.transfer_file, name="transfer_file"),
    path("payments/interest-notes/", payments.interest_notes_new, name="interest_notes_new"),
    path("customers/<int:customer_id>/refunds/new/", payments.refund_new, name="refund_new"),
    path("payments/journal/", payments.journal_download, name="journal_download"),
    path("payments/interest-notes/<int:note_id>/pdf/", payments.interest_note_pdf, name="interest_note_pdf"),
    path(
        "customers/<int:customer_id>/debts/<int:entry_id>/write-off/",
        payments.debt_write_off_view,
        name="debt_write_off",
    ),
    path(
        "customers/<int:customer_id>/credit-transfer/", payments.credit_transfer_view, name="credit_transfer"
    ),
    path("collections/", collections.collections_home, name="collections"),
    path("collections/cases/<int:case_id>/", collections.case_detail, name="collections_case"),
    path("collections/cases/<int:case_id>/action/", collections.case_action, name="collections_case_action"),
    path("collections/print-batches/<int:batch_id>/", collections.print_batch_download, name="print_batch"),
    path("customers/<int:customer_id>/disputes/new/", collections.dispute_open, name="dispute_open"),
    path(
        "customers/<int:customer_id>/disputes/<int:dispute_id>/close/",
        collections.dispute_close,
        name="dispute_close",
    ),
    path("customers/<int:customer_id>/instalment-plans/new/", collections.plan_new, name="plan_new"),
    path("billing/runs/", billing.runs, name="billing_runs"),
    path("billing/runs/<int:run_id>/", billing.run_detail, name="billing_run"),
    path("billing/runs/<int:run_id>/items/<int:item_id>/", billing.run_item_action, name="billing_run_item"),
    path("billing/invoices/<int:invoice_id>/", billing.invoice_detail, name="invoice"),
    path("billing/invoices/<int:invoice_id>/pdf/", billing.invoice_pdf, name="invoice_pdf"),
    path("billing/invoices/<int:invoice_id>/json/", billing.invoice_json, name="invoice_json"),
    path("customers/<int:customer_id>/notes/new/", billing.note_new, name="note_new"),
    path("billing/invoices/<int:invoice_id>/correct/", billing.invoice_correct_view, name="invoice_correct"),
    path("imports/", include("kilowatt.interfaces.backoffice.imports.urls")),
    path("", include("kilowatt.interfaces.backoffice.offer_urls")),
    path("", include("kilowatt.interfaces.backoffice.contract_request_urls")),
    path("", include("kilowatt.interfaces.backoffice.contract_lifecycle_urls")),
    path("", views.home, name="home"),
]
