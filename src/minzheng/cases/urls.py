from django.urls import path

from minzheng.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("new/", views.case_new, name="new"),
    path("queue/", views.queue, name="queue"),
    path("<str:case_number>/", views.case_page, name="case"),
    path("<str:case_number>/act/", views.case_action, name="act"),
]
