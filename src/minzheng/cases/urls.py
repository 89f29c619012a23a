from django.urls import path

from minzheng.cases import payment_views, views

app_name = "cases"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("new/", views.case_new, name="new"),
    path("queue/", views.queue, name="queue"),
    path("notice.pdf", views.notice_pdf, name="notice_pdf"),
    path("enrolments/<int:enrolment_id>/", views.enrolment_status, name="enrolment_status"),
    path("payments/", payment_views.runs, name="payments"),
    path("payments/<str:run_number>/", payment_views.run_page, name="payment_run"),
    *[
        path(
            f"payments/<str:run_number>/list.{fmt}",
            payment_views.run_list,
            {"fmt": fmt},
            name=f"payment_list_{fmt}",
        )
        for fmt in ("csv", "xlsx", "pdf")
    ],
    path("payments/<str:run_number>/bank.csv", payment_views.bank_file, name="payment_bank"),
    path("payments/<str:run_number>/returns/", payment_views.returns, name="payment_returns"),
    path("payments/<str:run_number>/reissue/", payment_views.reissue, name="payment_reissue"),
    path("<str:case_number>/decision.pdf", views.decision_pdf, name="decision_pdf"),
    path("<str:case_number>/attachments/", views.attachment_new, name="attachment_new"),
    path(
        "<str:case_number>/attachments/<int:attachment_id>/",
        views.attachment_file,
        name="attachment",
    ),
    path("<str:case_number>/", views.case_page, name="case"),
    path("<str:case_number>/act/", views.case_action, name="act"),
    path("<str:case_number>/programmes/", views.case_programme, name="programme"),
    path("<str:case_number>/objections/", views.objection_new, name="objection_new"),
    path(
        "<str:case_number>/objections/<int:objection_id>/",
        views.objection_resolution,
        name="objection_resolve",
    ),
]
