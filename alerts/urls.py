from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("management-center/", views.management_center, name="management_center"),
    path("management-center/go/", views.go_to_workspace, name="go_to_workspace"),
    path("region/", views.choose_region, name="choose_region"),
    path("workspaces/<int:workspace_id>/alert-history/", views.AlertHistoryView.as_view(), name="alert_history"),
    path(
        "workspaces/<int:workspace_id>/alert-history/<int:alert_id>/",
        views.AlertDetailView.as_view(),
        name="alert_detail",
    ),
    path("workspaces/<int:workspace_id>/alert-resources/", views.AlertResourcesView.as_view(), name="alert_resources"),
    path("workspaces/<int:workspace_id>/api-tokens/", views.ApiTokensView.as_view(), name="api_tokens"),
    path("workspaces/<int:workspace_id>/custom-webhook/", views.WebhookSettingsView.as_view(), name="webhook"),
    path(
        "workspaces/<int:workspace_id>/alert-contacts/methods/<int:method_id>/test/",
        views.TestMessageView.as_view(),
        name="test_message",
    ),
    path(
        "workspaces/<int:workspace_id>/alternate-contact/",
        views.AlternateContactView.as_view(),
        name="alternate_contact",
    ),
]
