from django.contrib import admin

from .models import Account, Principal


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "uid", "site", "basic_recipient_name", "basic_recipient_email"]
    list_filter = ["site"]
    search_fields = ["name", "uid", "basic_recipient_name", "basic_recipient_email"]


@admin.register(Principal)
class PrincipalAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "kind", "account"]
    list_filter = ["kind", "account", "account__site", "memberships__workspace"]
    search_fields = ["name", "display_name"]
    list_select_related = ["account"]
