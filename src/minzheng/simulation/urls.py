from django.urls import path

from minzheng.simulation import views

app_name = "simulation"

urlpatterns = [
    path("", views.run_list, name="runs"),
    path("runs/<str:sim_number>/", views.run_page, name="run"),
    path("runs/<str:sim_number>/progress.json", views.run_progress, name="progress"),
    path("runs/<str:sim_number>/workbook.xlsx", views.run_workbook, name="workbook"),
]
