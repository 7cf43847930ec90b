"""Support staff's view of sign-in lockouts: who is locked, until when, and two ways to unlock.
Replaces axes' own admin, whose status column ignores the cool-off and the per-address count."""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import ApiAuthFailure
from .signin import cool_off

for model in (AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


def _failures_since(threshold, **match):
    recent = AccessAttempt.objects.filter(attempt_time__gte=threshold, **match)
    total = recent.values("ip_address").annotate(total=Sum("failures_since_start")).values("total")[:1]
    return Coalesce(Subquery(total, output_field=IntegerField()), 0)


@admin.register(AccessAttempt)
class SignInFailureAdmin(admin.ModelAdmin):
    list_display = ["username", "ip_address", "failures_since_start", "attempt_time", "lock_status", "user_agent"]
    search_fields = ["username", "ip_address"]
    list_filter = ["attempt_time"]
    ordering = ["-attempt_time"]
    actions = ["unlock_usernames", "unlock_addresses"]
    fields = ["username", "ip_address", "failures_since_start", "attempt_time", "path_info", "user_agent"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        threshold = timezone.now() - cool_off()
        return (
            super()
            .get_queryset(request)
            .annotate(
                pair_failures=_failures_since(
                    threshold, ip_address=OuterRef("ip_address"), username=OuterRef("username")
                ),
                address_failures=_failures_since(threshold, ip_address=OuterRef("ip_address")),
            )
        )

    @admin.display(description=_("status"))
    def lock_status(self, obj):
        until = formats.date_format(timezone.localtime(obj.attempt_time + cool_off()), "Y-m-d H:i")
        if obj.attempt_time + cool_off() <= timezone.now():
            return _("Expired: no longer counted")
        if obj.pair_failures >= settings.LOGIN_FAILURE_LIMIT:
            return _("Locked out until %(time)s") % {"time": until}
        if obj.address_failures >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return _("Address locked out until %(time)s") % {"time": until}
        return _("Counted until %(time)s") % {"time": until}

    @admin.action(description=_("Unlock the selected usernames at their addresses"), permissions=["delete"])
    def unlock_usernames(self, request, queryset):
        count, _deleted = AccessAttempt.objects.filter(pk__in=list(queryset.values_list("pk", flat=True))).delete()
        self._unlocked(request, count)

    @admin.action(description=_("Unlock the selected addresses for every username"), permissions=["delete"])
    def unlock_addresses(self, request, queryset):
        addresses = set(queryset.values_list("ip_address", flat=True))
        count, _deleted = AccessAttempt.objects.filter(ip_address__in=addresses).delete()
        self._unlocked(request, count)

    def _unlocked(self, request, count):
        self.message_user(
            request,
            ngettext(
                "%(count)d failed sign-in record deleted: unlocked.",
                "%(count)d failed sign-in records deleted: unlocked.",
                count,
            )
            % {"count": count},
        )


@admin.register(ApiAuthFailure)
class ApiAuthFailureAdmin(admin.ModelAdmin):
    """Deleting a row lifts that address's API block at once."""

    list_display = ["ip_address", "failures", "window_started_at"]
    search_fields = ["ip_address"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
