from django.urls import path

from minzheng.eldercare import views

app_name = "eldercare"

urlpatterns = [
    path("", views.assessment_list, name="assessments"),
    path("register/", views.register_list, name="register"),
    path("layout/", views.layout_plan, name="layout"),
    path("assessments/new/", views.assessment_new, name="new"),
    path("assessments/<str:assessment_number>/", views.assessment_page, name="assessment"),
    path("assessments/<str:assessment_number>/confirm/", views.assessment_confirm, name="confirm"),
]
