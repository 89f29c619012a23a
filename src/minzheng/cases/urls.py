from django.urls import path

from minzheng.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("new/", views.case_new, name="new"),
    path("queue/", views.queue, name="queue"),
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
