from django.urls import path

from minzheng.eldercare import alert_views, views

app_name = "eldercare"

urlpatterns = [
    path("", views.assessment_list, name="assessments"),
    path("register/", views.register_list, name="register"),
    path("layout/", views.layout_plan, name="layout"),
    path("assessments/new/", views.assessment_new, name="new"),
    path("assessments/<str:assessment_number>/", views.assessment_page, name="assessment"),
    path("assessments/<str:assessment_number>/confirm/", views.assessment_confirm, name="confirm"),
    path("institutions/", views.institution_list, name="institutions"),
    path("institutions/<str:institution_id>/", views.institution_page, name="institution"),
    path("consortia/", views.consortium_list, name="consortia"),
    path("home-services/", views.home_services, name="home_services"),
]

# --- alerts for older people living alone (the escalation chain) ---
urlpatterns += [
    path("alerts/", alert_views.alert_list, name="alerts"),
    path("alerts/<str:alert_id>/", alert_views.alert_page, name="alert"),
    path(
        "alerts/<str:alert_id>/acknowledge/",
        alert_views.alert_acknowledge,
        name="alert_acknowledge",
    ),
    path("alerts/<str:alert_id>/resolve/", alert_views.alert_resolve, name="alert_resolve"),
]
