from django.urls import path
from django.views.generic import RedirectView

from . import views
from .models import Principal

app_name = "contacts"

urlpatterns = [
    path(
        "workspaces/<int:workspace_id>/alert-contacts/",
        RedirectView.as_view(pattern_name="contacts:ram_users"),
        name="alert_contacts",
    ),
    path(
        "workspaces/<int:workspace_id>/alert-contacts/ram-users/",
        views.ContactListView.as_view(kind=Principal.Kind.USER),
        name="ram_users",
    ),
    path(
        "workspaces/<int:workspace_id>/alert-contacts/ram-roles/",
        views.ContactListView.as_view(kind=Principal.Kind.ROLE),
        name="ram_roles",
    ),
    path(
        "workspaces/<int:workspace_id>/alert-contacts/<int:principal_id>/edit/",
        views.ContactEditView.as_view(),
        name="edit",
    ),
    path(
        "workspaces/<int:workspace_id>/alert-contacts/methods/<int:method_id>/resend/",
        views.ResendActivationView.as_view(),
        name="resend",
    ),
    path("activate/<str:uidb64>/<str:token>/", views.ActivateView.as_view(), name="activate"),
    path("outbox/", views.OutboxView.as_view(), name="outbox"),
]
