from django.urls import path

from minzheng.discovery import views

app_name = "discovery"

urlpatterns = [
    path("", views.task_list, name="tasks"),
    path("monitoring/", views.monitoring, name="monitoring"),
    path("tasks/<str:task_number>/", views.task_page, name="task"),
    path("tasks/<str:task_number>/act/", views.task_step, name="act"),
]
