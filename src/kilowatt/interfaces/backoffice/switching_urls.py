"""URLs of the supplier switching pages."""

from django.urls import path

from kilowatt.interfaces.backoffice import switching

urlpatterns = [
    path("switching/", switching.switching_home, name="switching"),
    path("switching/dsos/<int:dso_id>/send/", switching.dso_send, name="switching_dso_send"),
    path("switching/dsos/<int:dso_id>/answers/", switching.dso_answers_import, name="switching_dso_answers"),
    path("switching/dsos/<int:dso_id>/fake-answer/", switching.dso_fake_answer, name="switching_dso_fake"),
    path("switching/cases/<int:case_id>/", switching.case_detail, name="switching_case"),
    path("switching/cases/<int:case_id>/action/", switching.case_action, name="switching_case_action"),
    path(
        "switching/cases/<int:case_id>/documents/",
        switching.case_document_upload,
        name="switching_document_upload",
    ),
    path(
        "switching/cases/<int:case_id>/documents/<int:document_id>/",
        switching.case_document_download,
        name="switching_document",
    ),
    path("switching/messages/<int:message_id>/", switching.dso_message_download, name="switching_message"),
]
