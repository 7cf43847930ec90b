from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from contacts.models import ContactMethod
from contacts.versioning import StaleEdit, VersionField, conflict_for, version_of
from contacts.views import PAGE_SIZES, method_to_address, page_size_of

from .access import (
    GRANTING_ROLES,
    Perm,
    WorkspaceAccessMixin,
    identity_of,
    workspace_permissions,
    workspaces_visible_to,
)
from .api_tokens import api_token_create, api_token_revoke
from .confirm import ShownOnceMixin, confirmation_required, shown_once_put
from .history import alerts_with_counts, fallback_chains, label_deliveries, source_label
from .limits import alert_limit_set, usage_summary
from .messages import severity_label
from .models import Alert, AlertLimit, ApiToken, Channel, Delivery, WorkspaceWebhook
from .regions import current_region, region_choose
from .services import TestMessageLimited, test_message_send, workspace_alternate_contact_set
from .webhooks import webhook_configure, webhook_remove, webhook_rotate_secret, webhook_test


class AlertHistoryFilter(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All statuses")), *Delivery.Status.choices],
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), required=False, choices=[("", gettext_lazy("All channels")), *Channel.choices]
    )
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        label=pgettext_lazy("end of a date range", "To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    # Links in messages and webhook pushes (more_information) open the history at one alert.
    alert = forms.IntegerField(label=gettext_lazy("Alert ID"), required=False, min_value=1, max_value=2**63 - 1)


def home(request):
    if request.user.is_authenticated:
        return redirect("alerts:management_center")
    return redirect("login")


@login_required
def management_center(request):
    """Management Center entry (T1): choose a workspace of the current region, then go."""
    identity = identity_of(request.user)
    region = current_region(request)
    workspaces = workspaces_visible_to(identity)
    in_region = [w for w in workspaces if region and w.region_id == region.pk]
    elsewhere = [w for w in workspaces if not region or w.region_id != region.pk]
    return render(
        request,
        "alerts/management_center.html",
        {"identity": identity, "workspaces": in_region, "other_regions": elsewhere},
    )


@login_required
def go_to_workspace(request):
    """The Go to Management Center button: a GET form, so it works without JavaScript."""
    raw = request.GET.get("workspace", "")
    if not raw.isdigit():
        messages.error(request, _("Choose a workspace from the list first."))
        return redirect("alerts:management_center")
    # Open the first page the identity may see; the gate decides there (an id the identity may not
    # see gets the same 403 as a forbidden one).
    identity = identity_of(request.user)
    workspace = workspaces_visible_to(identity).filter(pk=int(raw)).first()
    permissions = workspace_permissions(identity, workspace)
    if Perm.VIEW_CONTACTS not in permissions and permissions & {Perm.VIEW_ALERT_RESOURCES, Perm.SET_ALERT_LIMITS}:
        return redirect("alerts:alert_resources", workspace_id=int(raw))
    return redirect("contacts:ram_users", workspace_id=int(raw))


@require_POST
def choose_region(request):
    code = request.POST.get("region", "")
    if not region_choose(request=request, code=code):
        messages.error(request, _("That region does not exist."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("alerts:management_center")
    return redirect(same_page_in_region(request, target))


def same_page_in_region(request, target: str) -> str:
    """Where switching region from `target` leads (T1): a workspace page opens the same page of the
    identity's first workspace in the chosen region, when it has one there; a page of one record
    (an edit form) or a region without a workspace goes to Management Center; other pages stay."""
    try:
        match = resolve(urlsplit(target).path)
    except Resolver404:
        return reverse("alerts:management_center")
    if "workspace_id" not in match.kwargs:
        return target
    region = current_region(request)
    workspace = (
        workspaces_visible_to(identity_of(request.user)).filter(region=region).order_by("name").first()
        if region
        else None
    )
    if workspace is None or set(match.kwargs) != {"workspace_id"}:
        return reverse("alerts:management_center")
    if workspace.pk == match.kwargs["workspace_id"]:
        return target
    return reverse(match.view_name, kwargs={"workspace_id": workspace.pk})


def permission_denied(request, exception=None):
    """Every 403, wherever it is raised, names the roles that would grant access (A4)."""
    return render(request, "403.html", {"granting_roles": GRANTING_ROLES}, status=403)


class AlternateContactView(WorkspaceAccessMixin, View):
    """Choose the workspace's alternate alert contact among its members (C11)."""

    required_permission = Perm.MANAGE_CONTACTS
    http_method_names = ["post"]

    def post(self, request, workspace_id):
        raw = request.POST.get("principal", "")
        current = self.workspace.alternate_contact
        if current is not None and raw != str(current.pk):
            asked = confirmation_required(
                request,
                cancel_url=reverse("contacts:ram_users", args=[self.workspace.pk]),
                title=_("Replace the alternate alert contact?") if raw else _("Remove the alternate alert contact?"),
                consequence=(
                    _("%(name)s will no longer receive the alerts that cannot reach their primary contact.")
                    % {"name": current.label}
                )
                + (
                    ""
                    if raw
                    else " "
                    + _(
                        "Until another alternate is chosen, a wrong email address goes straight to the account's Basic "
                        "Receiving Management recipient and other channels have no fallback."
                    )
                ),
                button=_("Replace") if raw else _("Remove"),
            )
            if asked:
                return asked
        try:
            workspace_alternate_contact_set(
                workspace=self.workspace, principal_id=int(raw) if raw else None, by=request.user
            )
        except (ValueError, ValidationError):
            messages.error(request, _("Choose a RAM user or RAM role that is a member of this workspace."))
        else:
            messages.success(request, _("Alternate alert contact saved."))
        return redirect("contacts:ram_users", workspace_id=self.workspace.pk)


class AlertHistoryView(WorkspaceAccessMixin, TemplateView):
    """Alert history, the Operation Center view (D10): one row per alert with its delivered and
    failed counts, paginated and filterable by status, channel and date; each alert's deliveries
    open on its own page (AlertDetailView)."""

    required_permission = None
    template_name = "alerts/alert_history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = AlertHistoryFilter(self.request.GET or None)
        alerts = Alert.objects.filter(workspace=self.workspace)
        if form.is_valid():
            data = form.cleaned_data
            deliveries = Delivery.objects.all()
            if data["status"]:
                deliveries = deliveries.filter(status=data["status"])
            if data["channel"]:
                deliveries = deliveries.filter(channel=data["channel"])
            if data["since"]:
                alerts = alerts.filter(created_at__date__gte=data["since"])
            if data["until"]:
                alerts = alerts.filter(created_at__date__lte=data["until"])
            if data["alert"]:
                alerts = alerts.filter(pk=data["alert"])
            if data["status"] or data["channel"]:
                alerts = alerts.filter(pk__in=deliveries.values("alert_id"))
        size = page_size_of(self.request)
        page = Paginator(alerts_with_counts(alerts).order_by("-created_at", "-pk"), size).get_page(
            self.request.GET.get("page")
        )
        for alert in page:
            alert.source_label = source_label(alert.source)
            alert.severity_label = severity_label(alert.severity)
        context.update(form=form, page=page, page_size=size, page_sizes=PAGE_SIZES, nav="history")
        return context


class AlertDetailView(WorkspaceAccessMixin, TemplateView):
    """One alert of Alert History (D10): its deliveries with status, receipt, language and reason in
    the reader's language, and its fallback path (D6) drawn as a chain. Gated like Alert History;
    an alert of another workspace is not found."""

    required_permission = None
    template_name = "alerts/alert_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        alert = Alert.objects.filter(workspace=self.workspace, pk=self.kwargs["alert_id"]).first()
        if alert is None:
            raise Http404
        alert = alerts_with_counts(Alert.objects.filter(pk=alert.pk)).get()
        alert.source_label = source_label(alert.source)
        alert.severity_label = severity_label(alert.severity)
        deliveries = label_deliveries(list(alert.deliveries.select_related("principal").order_by("pk")))
        context.update(
            alert=alert,
            deliveries=deliveries,
            chains=fallback_chains(deliveries),
            nav="history",
            Status=Delivery.Status,
        )
        return context


def _daily_limit_field(label):
    return forms.IntegerField(
        label=label, required=False, min_value=0, max_value=1_000_000, help_text=gettext_lazy("Empty means unlimited.")
    )


class AlertResourcesForm(forms.Form):
    max_sms_per_day = _daily_limit_field(gettext_lazy("Maximum Alert SMS Messages Per Day"))
    max_voice_per_day = _daily_limit_field(gettext_lazy("Maximum Alert Phone Calls Per Day"))
    # The limits' version when the form was filled in (contacts.versioning); 0: none were set.
    version = VersionField()


def limit_text(value):
    return _("Unlimited") if value is None else str(value)


class AlertResourcesView(WorkspaceAccessMixin, TemplateView):
    """Alert Resources (D9, A3): usage per channel today and this month for the workspace's account
    and region, and the daily limits, which only `set the maximum number of alerts` may change."""

    template_name = "alerts/alert_resources.html"

    def has_permission(self):
        super().has_permission()
        return bool(self.permissions & {Perm.VIEW_ALERT_RESOURCES, Perm.SET_ALERT_LIMITS})

    def limit(self):
        return AlertLimit.objects.filter(account=self.workspace.account, region=self.workspace.region).first()

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        limit = self.limit()
        initial = {
            "max_sms_per_day": limit.max_sms_per_day if limit else None,
            "max_voice_per_day": limit.max_voice_per_day if limit else None,
            "version": version_of(limit),
        }
        usage = usage_summary(account=self.workspace.account, region=self.workspace.region)
        context.update(
            nav="resources",
            form=form or AlertResourcesForm(initial=initial),
            can_set=Perm.SET_ALERT_LIMITS in self.permissions,
            rows=[
                (Channel.SMS.label, usage[Channel.SMS], initial["max_sms_per_day"]),
                (Channel.VOICE.label, usage[Channel.VOICE], initial["max_voice_per_day"]),
            ],
        )
        return context

    def post(self, request, *args, **kwargs):
        if Perm.SET_ALERT_LIMITS not in self.permissions:
            return self.handle_no_permission()
        form = AlertResourcesForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        values = {name: form.cleaned_data[name] for name in ("max_sms_per_day", "max_voice_per_day")}
        try:
            alert_limit_set(
                account=self.workspace.account,
                region=self.workspace.region,
                by=request.user,
                version=form.cleaned_data["version"],
                **values,
            )
        except StaleEdit as stale:
            return self.stale(form, stale, values)
        messages.success(request, _("Daily limits saved."))
        return redirect("alerts:alert_resources", workspace_id=self.workspace.pk)

    def stale(self, form, stale, yours):
        """Limits saved since the form was filled in: nothing is saved; the form comes back with
        the values entered and the current version, the saved ones beside them (contacts.versioning)."""
        data = form.data.copy()
        data["version"] = str(stale.version)
        form = AlertResourcesForm(data)
        form.is_valid()
        current = stale.current
        history = AlertLimit.history.filter(account_id=self.workspace.account_id, region_id=self.workspace.region_id)
        conflict = conflict_for(
            history,
            [
                (
                    AlertResourcesForm.base_fields[name].label,
                    limit_text(getattr(current, name, None)),
                    limit_text(yours[name]),
                )
                for name in ("max_sms_per_day", "max_voice_per_day")
            ],
        )
        return self.render_to_response(self.get_context_data(form=form, conflict=conflict), status=409)


@method_decorator(never_cache, name="dispatch")
class ApiTokensView(ShownOnceMixin, WorkspaceAccessMixin, TemplateView):
    """API tokens and Alertmanager receivers of the workspace (I1, I2): create (shown once), revoke."""

    required_permission = Perm.MANAGE_CONTACTS
    template_name = "alerts/api_tokens.html"
    shown_once_prefix, shown_once_context = "token", "new_token"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            nav="tokens",
            tokens=self.workspace.api_tokens.select_related("created_by"),
            Kind=ApiToken.Kind,
            channels=Channel.choices,
            api_url=self.request.build_absolute_uri(reverse("api:alerts")),
            alertmanager_url=self.request.build_absolute_uri(reverse("api:alertmanager")),
        )
        return context

    def post(self, request, *args, **kwargs):
        here = reverse("alerts:api_tokens", args=[self.workspace.pk])
        if "revoke" in request.POST:
            token = self.workspace.api_tokens.filter(
                pk=request.POST.get("revoke") if request.POST.get("revoke", "").isdigit() else None
            ).first()
            if token is None:
                messages.error(request, _("That token does not exist."))
                return redirect(here)
            consequence = _(
                "Monitoring systems and Alertmanager receivers using the token “%(name)s” will get 401 "
                "from now on, and their alerts will not be accepted."
            ) % {"name": token.name}
            asked = confirmation_required(
                request, title=_("Revoke this token?"), consequence=consequence, button=_("Revoke"), cancel_url=here
            )
            if asked:
                return asked
            api_token_revoke(token=token)
            messages.success(request, _("Token revoked: requests with it are refused from now on."))
            return redirect(here)
        kind = request.POST.get("kind", ApiToken.Kind.API)
        if kind not in ApiToken.Kind.values:
            kind = ApiToken.Kind.API
        try:
            token, raw = api_token_create(
                workspace=self.workspace,
                name=request.POST.get("name", ""),
                kind=kind,
                by=request.user,
                recipients=[n.strip() for n in request.POST.get("recipients", "").split(",") if n.strip()],
                channels=request.POST.getlist("channels"),
                send_resolved=bool(request.POST.get("send_resolved")),
            )
        except ValidationError as error:
            for field_errors in error.message_dict.values():
                for message in field_errors:
                    messages.error(request, message)
            return redirect("alerts:api_tokens", workspace_id=self.workspace.pk)
        # Shown once: kept in the session only until the page after the redirect has shown it.
        shown_once_put(request, self.shown_once_key, {"name": token.name, "raw": raw})
        return redirect(here)


@method_decorator(never_cache, name="dispatch")
class WebhookSettingsView(ShownOnceMixin, WorkspaceAccessMixin, TemplateView):
    """The custom webhook: URL, secret (shown once, rotatable), Test connectivity (D4, I3)."""

    required_permission = Perm.MANAGE_CONTACTS
    template_name = "alerts/webhook_settings.html"
    shown_once_prefix, shown_once_context = "webhook-secret", "new_secret"
    DESTRUCTIVE = {
        "rotate": (
            gettext_lazy("Generate a new secret?"),
            gettext_lazy(
                "The current secret stops signing pushes at once: the webhook service must be given the "
                "new secret, or it will refuse every alert until then."
            ),
            gettext_lazy("Generate a new secret"),
        ),
        "remove": (
            gettext_lazy("Remove the custom webhook?"),
            gettext_lazy(
                "Text messages and phone calls for numbers outside the Chinese mainland will end as "
                "failed (no custom webhook) until a webhook is configured again."
            ),
            gettext_lazy("Remove"),
        ),
    }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        webhook = WorkspaceWebhook.objects.filter(workspace=self.workspace).first()
        context.setdefault("url", webhook.url if webhook else "")
        context.setdefault("version", version_of(webhook))
        context.update(nav="webhook", webhook=webhook)
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "save")
        webhook = WorkspaceWebhook.objects.filter(workspace=self.workspace).first()
        here = reverse("alerts:webhook", args=[self.workspace.pk])
        if webhook is not None and action in self.DESTRUCTIVE:
            title, consequence, button = self.DESTRUCTIVE[action]
            asked = confirmation_required(request, title=title, consequence=consequence, button=button, cancel_url=here)
            if asked:
                return asked
        if action == "save":
            url = request.POST.get("url", "")
            try:
                webhook, secret = webhook_configure(
                    workspace=self.workspace,
                    url=url,
                    by=request.user,
                    version=VersionField().clean(request.POST.get("version")),
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.message_dict["url"]))
                return redirect("alerts:webhook", workspace_id=self.workspace.pk)
            except StaleEdit as stale:
                return self.stale(stale, url.strip())
            messages.success(request, _("Custom webhook saved."))
            if secret:
                return self.shown_once(secret)
        elif webhook is None:
            messages.error(request, _("Save a webhook URL first."))
        elif action == "rotate":
            messages.success(request, _("New secret generated: the old one no longer signs pushes."))
            return self.shown_once(webhook_rotate_secret(webhook=webhook))
        elif action == "test":
            ok, text = webhook_test(webhook=webhook)
            return self.render_to_response(self.get_context_data(test_result={"ok": ok, "text": text}))
        elif action == "remove":
            webhook_remove(workspace=self.workspace)
            messages.success(request, _("Custom webhook removed."))
        return redirect("alerts:webhook", workspace_id=self.workspace.pk)

    def stale(self, stale, url):
        """The webhook was created, changed or removed since the page was opened: nothing is saved;
        the URL entered comes back with the current version, the saved one beside it."""
        history = WorkspaceWebhook.history.filter(workspace_id=self.workspace.pk)
        current = stale.current.url if stale.current else ""
        conflict = conflict_for(history, [(_("URL"), current, url)])
        context = self.get_context_data(conflict=conflict, url=url, version=stale.version)
        return self.render_to_response(context, status=409)

    def shown_once(self, secret):
        """The secret is kept in the session only until the page after the redirect has shown it."""
        shown_once_put(self.request, self.shown_once_key, secret)
        return redirect("alerts:webhook", workspace_id=self.workspace.pk)


class TestMessageView(WorkspaceAccessMixin, View):
    """Send a test message to one Activated contact method (I3); rate-limited; recorded like any
    delivery (it appears in the alert history with source `test`)."""

    required_permission = Perm.MANAGE_CONTACTS
    http_method_names = ["post"]

    def post(self, request, workspace_id, method_id):
        method = (
            ContactMethod.objects.filter(
                pk=method_id,
                principal__account_id=self.workspace.account_id,
                principal__memberships__workspace=self.workspace,
            )
            .select_related("principal")
            .first()
        )
        if method is None:
            raise Http404
        back = redirect(
            "contacts:ram_users" if method.principal.kind == "user" else "contacts:ram_roles",
            workspace_id=self.workspace.pk,
        )
        try:
            test_message_send(workspace=self.workspace, method=method, by=request.user)
        except ValidationError as invalid:
            messages.error(request, " ".join(invalid.messages))
            return back
        except TestMessageLimited:
            messages.error(request, _("Too many test messages for this contact method. Try again later."))
            return back
        messages.success(
            request,
            _("Test message to %(principal)s queued for sending: %(method)s. Its delivery is in the alert history.")
            % {"principal": method.principal.label, "method": method_to_address(method.channel, method.principal)},
        )
        return back
