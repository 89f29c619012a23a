from django.urls import path

from minzheng.exchange import views

app_name = "exchange"

urlpatterns = [
    path("", views.deliveries, name="deliveries"),
    path("freshness/<str:feed>/", views.freshness, name="freshness"),
    path("deliveries/<int:delivery_id>/quarantine/", views.quarantine, name="quarantine"),
]
