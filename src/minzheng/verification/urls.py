from django.urls import path

from minzheng.verification import views

app_name = "verification"

urlpatterns = [
    path("", views.start, name="start"),
    path("households/", views.consents_open, name="consents_open"),
    path("households/<str:household_id>/consents/", views.consents, name="consents"),
    path("households/<str:household_id>/declare/", views.declare, name="declare"),
    path("consents/<int:consent_id>/revoke/", views.consent_revocation, name="consent_revoke"),
    path("checks/<str:number>/", views.report, name="report"),
    path("checks/<str:number>/pdf/", views.report_pdf, name="report_pdf"),
]
