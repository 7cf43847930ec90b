"""Support staff's view of contacts (C13): search, filters, resend, and the history of every change."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from .models import Account, ActivationMessage, ContactMethod, Principal, ProviderProblem, RamDirectoryEntry
from .phones import phone_parse
from .services import (
    ActivationLimited,
    AlreadyActivated,
    ResendLimited,
    activation_limit_check,
    activation_resend,
    contact_update,
    email_normalize,
    limit_message,
)
from .versioning import history_author_set


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    """Accounts, with the state of their directory sync (written by alerts.directory, which also
    adds the *Sync now* action). No secret is ever stored or shown: only a credentials profile's name."""

    list_display = [
        "name",
        "uid",
        "site",
        "basic_recipient_name",
        "basic_recipient_email",
        "directory_sync_enabled",
        "directory_synced_at",
        "directory_sync_result",
    ]
    list_filter = ["site", "directory_sync_enabled", "directory_sync_result"]
    search_fields = ["name", "uid", "basic_recipient_name", "basic_recipient_email"]
    readonly_fields = ["directory_synced_at", "directory_sync_result", "directory_sync_message", "sync_summary"]

    @admin.display(description=_("directory sync summary"))
    def sync_summary(self, obj):
        """Added (+), changed (~) and removed (-) per kind at the last good sync."""
        counts = obj.directory_sync_summary or {}
        return ", ".join(
            f"{kind} +{c.get('added', 0)} ~{c.get('changed', 0)} -{c.get('removed', 0)}" for kind, c in counts.items()
        )


class ContactMethodInline(admin.TabularInline):
    model = ContactMethod
    extra = 0
    can_delete = False
    fields = ["channel", "status", "link_sent_at", "activated_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PrincipalAdminForm(forms.ModelForm):
    """Phone and email follow the console's rules (C4, C5); saving goes through contact_update so a
    changed value waits for activation exactly as it does in the console (C7)."""

    phone = forms.CharField(
        label=_("mobile phone number"),
        required=False,
        max_length=40,
        help_text=_("With the country code, e.g. 8613912345678."),
    )
    email = forms.CharField(label=_("email address"), required=False, max_length=254)

    class Meta:
        model = Principal
        fields = ["account", "kind", "name", "display_name", "phone", "email", "language"]

    def clean_phone(self):
        raw = self.cleaned_data["phone"]
        return str(phone_parse(raw)) if raw.strip() else ""

    def clean_email(self):
        raw = self.cleaned_data["email"]
        try:
            return email_normalize(raw) if raw.strip() else ""
        except ValidationError:
            raise ValidationError(_("Enter a valid email address, e.g. name@example.com.")) from None

    def clean(self):
        """Refuse a new value whose activation message would pass a limit (C10) here, with the
        form, rather than after the save; contact_update checks again under the row lock."""
        cleaned = super().clean()
        principal = self.instance if self.instance.pk else None
        methods = set(principal.contact_methods.values_list("channel", flat=True)) if principal else set()
        sends = []
        for channel in ContactMethod.Channel:
            value = cleaned.get(channel)
            current = str(getattr(principal, channel) or "") if principal else ""
            if value and (value != current or channel not in methods):
                sends.append((channel, value))
        if sends:
            try:
                activation_limit_check(principal=principal, sends=sends)
            except ResendLimited as limited:
                names = [limited.scope] if limited.scope in dict(sends) else [channel for channel, _value in sends]
                raise ValidationError({name: limit_message(limited) for name in names}) from None
        return cleaned


class ContactStatusFilter(admin.SimpleListFilter):
    title = _("contact method status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*ContactMethod.Status.choices, ("none", _("Not an alert contact"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(contact_methods__isnull=True)
        if self.value() in ContactMethod.Status.values:
            return queryset.filter(contact_methods__status=self.value()).distinct()
        return queryset


@admin.register(Principal)
class PrincipalAdmin(SimpleHistoryAdmin):
    form = PrincipalAdminForm
    list_display = [
        "name",
        "display_name",
        "kind",
        "account",
        "phone",
        "email",
        "language",
        "last_synced_at",
        "removed_at",
    ]
    list_filter = [
        ContactStatusFilter,
        "kind",
        "account",
        "account__site",
        "memberships__workspace",
        "language",
        "removed_at",
    ]
    search_fields = ["name", "display_name", "phone", "email"]
    list_select_related = ["account"]
    list_per_page = 50
    inlines = [ContactMethodInline]
    actions = ["resend_activation_links"]
    readonly_fields = ["removed_at"]
    history_list_display = ["phone", "email", "language", "removed_at"]

    def get_search_results(self, request, queryset, search_term):
        # Phone numbers are stored in E.164: find them however support staff type them.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = "".join(ch for ch in search_term if ch.isdigit())
        if len(digits) >= 4 and digits != search_term:
            queryset |= self.model.objects.filter(phone__contains=digits)
        return queryset, may_have_duplicates

    def save_model(self, request, obj, form, change):
        wanted = {key: form.cleaned_data[key] for key in ("phone", "email", "language")}
        if change:
            current = Principal.objects.get(pk=obj.pk)
            obj.phone, obj.email, obj.language = current.phone, current.email, current.language
        else:
            obj.phone, obj.email = "", ""
        history_author_set(obj, by=request.user)
        obj.save()
        try:
            contact_update(principal=obj, by=request.user, **wanted)
        except ActivationLimited as limited:
            # Passed the form's check, then another send came first: keep the contact values.
            self.message_user(request, " ".join(limited.messages), messages.ERROR)

    @admin.action(description=_("Resend activation links of waiting contact methods"))
    def resend_activation_links(self, request, queryset):
        sent = limited = 0
        for method in ContactMethod.objects.filter(
            principal__in=queryset, status=ContactMethod.Status.WAITING_FOR_ACTIVATION
        ):
            try:
                activation_resend(method=method, by=request.user)
                sent += 1
            except ResendLimited:
                limited += 1
            except AlreadyActivated:
                pass
        self.message_user(
            request, ngettext("%d activation link sent.", "%d activation links sent.", sent) % sent, messages.SUCCESS
        )
        if limited:
            self.message_user(
                request,
                ngettext(
                    "%d contact method skipped: too many recent activation messages.",
                    "%d contact methods skipped: too many recent activation messages.",
                    limited,
                )
                % limited,
                messages.WARNING,
            )


@admin.register(ContactMethod)
class ContactMethodAdmin(SimpleHistoryAdmin):
    list_display = ["principal", "channel", "status", "link_sent_at", "activated_at"]
    list_filter = [
        "status",
        "channel",
        "principal__account",
        "principal__account__site",
        "principal__memberships__workspace",
    ]
    search_fields = ["principal__name", "principal__display_name", "principal__phone", "principal__email"]
    list_select_related = ["principal", "principal__account"]
    readonly_fields = ["principal", "channel", "status", "link_sent_at", "activated_at"]

    def has_add_permission(self, request):
        return False


@admin.register(ActivationMessage)
class ActivationMessageAdmin(admin.ModelAdmin):
    list_display = ["address", "principal", "channel", "sent_at", "sent_by"]
    list_filter = ["channel", "principal__account"]
    search_fields = ["address", "principal__name", "principal__display_name"]
    list_select_related = ["principal", "sent_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RamDirectoryEntry)
class RamDirectoryEntryAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "account", "display_name", "phone", "email", "updated_at"]
    list_filter = ["kind", "account"]
    search_fields = ["name", "display_name", "phone", "email"]


@admin.register(ProviderProblem)
class ProviderProblemAdmin(admin.ModelAdmin):
    """Open problems of the providers' set-up, also shown on the admin index. Support staff may
    delete one they know is fixed; the next refusal opens it again."""

    list_display = ["channel", "provider", "code", "since", "last_seen", "occurrences"]
    readonly_fields = ["channel", "provider", "code", "message", "since", "last_seen", "occurrences"]

    def has_add_permission(self, request, obj=None):
        return False
