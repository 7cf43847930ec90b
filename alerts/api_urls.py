from django.urls import path

from . import api

app_name = "api"

urlpatterns = [
    path("alerts", api.AlertCollectionView.as_view(), name="alerts"),
    path("alerts/<int:alert_id>", api.AlertDetailView.as_view(), name="alert"),
    path("alertmanager", api.AlertmanagerView.as_view(), name="alertmanager"),
    path("openapi.json", api.openapi_document, name="openapi"),
]
