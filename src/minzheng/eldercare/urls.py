from django.urls import path

from minzheng.eldercare import views

app_name = "eldercare"

urlpatterns = [
    path("", views.assessment_list, name="assessments"),
    path("register/", views.register_list, name="register"),
    path("assessments/new/", views.assessment_new, name="new"),
    path("assessments/<str:assessment_number>/", views.assessment_page, name="assessment"),
    path("assessments/<str:assessment_number>/confirm/", views.assessment_confirm, name="confirm"),
    path("institutions/", views.institution_list, name="institutions"),
    path("institutions/<str:institution_id>/", views.institution_page, name="institution"),
    path("consortia/", views.consortium_list, name="consortia"),
    path("home-services/", views.home_services, name="home_services"),
]
