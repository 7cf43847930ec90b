from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from contacts.admin import AccountAdmin
from contacts.messaging.destinations import validate_outbound_url
from contacts.models import Account

from .directory.errors import DirectoryError, DirectorySyncOff
from .directory.sync import directory_sync
from .models import (
    Alert,
    CustomRole,
    Delivery,
    Identity,
    Membership,
    PolicyAttachment,
    Region,
    TenantRoleGrant,
    Workspace,
    WorkspaceWebhook,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_zh", "position"]
    search_fields = ["code", "name", "name_zh"]


# The account list and page come from contacts (accounts belong there); the directory sync is the
# tenancy's, so its *Sync now* action is added here, keeping contacts free of alerts imports.
admin.site.unregister(Account)


@admin.register(Account)
class AccountSyncAdmin(AccountAdmin):
    actions = ["sync_now"]

    @admin.action(description=_("Sync now from Alibaba Cloud (RAM users and roles, workspaces, members)"))
    def sync_now(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        """The same sync as `manage.py sync_directory`, for each selected account; the message says
        what it changed or why it failed (nothing of that account is changed then)."""
        for account in queryset.order_by("name"):
            try:
                summary = directory_sync(account=account)
            except DirectorySyncOff as error:
                self.message_user(request, f"{account}: {error.text}", messages.WARNING)
            except DirectoryError as error:
                text = _("%(account)s: not synced, nothing was changed. %(error)s")
                self.message_user(request, text % {"account": account, "error": error.text}, messages.ERROR)
            else:
                text = _("%(account)s: synced from Alibaba Cloud (added +, changed ~, removed -): %(summary)s.")
                self.message_user(request, text % {"account": account, "summary": summary.text()}, messages.SUCCESS)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["principal"]


@admin.register(Workspace)
class WorkspaceAdmin(SimpleHistoryAdmin):
    list_display = ["name", "display_name", "account", "region", "removed_at"]
    list_filter = ["account", "region", "account__site", "removed_at"]
    search_fields = ["name", "display_name", "account__name"]
    list_select_related = ["account", "region"]
    autocomplete_fields = ["alternate_contact"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["principal", "workspace", "dataworks_roles", "added_at"]
    list_filter = ["workspace", "workspace__account", "principal__kind"]
    search_fields = ["principal__name", "principal__display_name", "workspace__name"]
    autocomplete_fields = ["principal", "workspace"]
    list_select_related = ["principal", "workspace"]


@admin.register(PolicyAttachment)
class PolicyAttachmentAdmin(admin.ModelAdmin):
    list_display = ["policy_name", "principal"]
    list_filter = ["policy_name", "principal__account"]
    search_fields = ["policy_name", "principal__name"]
    autocomplete_fields = ["principal"]


@admin.register(TenantRoleGrant)
class TenantRoleGrantAdmin(admin.ModelAdmin):
    list_display = ["role", "principal"]
    list_filter = ["role", "principal__account"]
    search_fields = ["principal__name"]
    autocomplete_fields = ["principal"]


@admin.register(CustomRole)
class CustomRoleAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "can_view_alert_resources", "can_set_alert_limits", "can_view_contacts"]
    list_filter = ["account", "can_view_alert_resources", "can_set_alert_limits", "can_view_contacts"]
    search_fields = ["name"]
    autocomplete_fields = ["principals"]


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ["user", "account", "principal"]
    list_filter = ["account"]
    search_fields = ["user__username", "principal__name"]
    autocomplete_fields = ["user", "principal"]
    list_select_related = ["user", "account", "principal"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Alerts and deliveries are records: support staff read them, the dispatcher writes them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = [
        "channel",
        "role",
        "recipient_name",
        "address",
        "route",
        "language",
        "status",
        "reason_code",
        "reason",
        "attempts",
        "receipt_status",
        "receipt_at",
        "receipt_code",
        "receipt_message",
        "replaces",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["pk", "title", "workspace", "severity", "source", "created_at"]
    list_filter = ["workspace", "workspace__account", "source", "severity"]
    search_fields = ["title", "rule", "content"]
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "alert",
        "channel",
        "role",
        "recipient_name",
        "address",
        "status",
        "reason_code",
        "receipt_status",
        "attempts",
        "replaces",
    ]
    list_filter = [
        "status",
        "receipt_status",
        "channel",
        "role",
        "route",
        "alert__workspace",
        "alert__workspace__account",
    ]
    search_fields = ["recipient_name", "address", "reason", "alert__title", "provider_message_id"]
    list_select_related = ["alert"]


class WorkspaceWebhookForm(forms.ModelForm):
    """The console's rules for the URL: no local, private or reserved destination."""

    class Meta:
        model = WorkspaceWebhook
        fields = ["workspace", "url", "secret"]

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        validate_outbound_url(url)
        return url


@admin.register(WorkspaceWebhook)
class WorkspaceWebhookAdmin(admin.ModelAdmin):
    form = WorkspaceWebhookForm
    list_display = ["workspace", "url"]
    search_fields = ["workspace__name", "url"]
