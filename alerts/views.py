from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, prefetch_related_objects
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from .access import GRANTING_ROLES, Perm, WorkspaceAccessMixin, identity_of, workspaces_visible_to
from .models import Alert, Channel, Delivery
from .regions import current_region, region_choose
from .services import workspace_alternate_contact_set


class AlertHistoryFilter(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False,
                               choices=[("", gettext_lazy("All statuses")), *Delivery.Status.choices])
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), required=False,
                                choices=[("", gettext_lazy("All channels")), *Channel.choices])
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


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
    # The gate decides on the next page; an id the identity may not see gets the same 403 there.
    return redirect("contacts:ram_users", workspace_id=int(raw))


@require_POST
def choose_region(request):
    code = request.POST.get("region", "")
    if not region_choose(request=request, code=code):
        messages.error(request, _("That region does not exist."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("alerts:management_center")
    return redirect(target)


def permission_denied(request, exception=None):
    """Every 403, wherever it is raised, names the roles that would grant access (A4)."""
    return render(request, "403.html", {"granting_roles": GRANTING_ROLES}, status=403)


class AlternateContactView(WorkspaceAccessMixin, View):
    """Choose the workspace's alternate alert contact among its members (C11)."""

    required_permission = Perm.MANAGE_CONTACTS
    http_method_names = ["post"]

    def post(self, request, workspace_id):
        raw = request.POST.get("principal", "")
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
    """Alert history, the Operation Center view (D10): every alert with its deliveries, status,
    reason, language and fallback path; filterable by status, channel and date."""

    required_permission = None
    template_name = "alerts/alert_history.html"
    page_size = 20

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = AlertHistoryFilter(self.request.GET or None)
        deliveries = Delivery.objects.select_related("principal").order_by("pk")
        alerts = Alert.objects.filter(workspace=self.workspace)
        if form.is_valid():
            data = form.cleaned_data
            if data["status"]:
                deliveries = deliveries.filter(status=data["status"])
            if data["channel"]:
                deliveries = deliveries.filter(channel=data["channel"])
            if data["since"]:
                alerts = alerts.filter(created_at__date__gte=data["since"])
            if data["until"]:
                alerts = alerts.filter(created_at__date__lte=data["until"])
            if data["status"] or data["channel"]:
                alerts = alerts.filter(pk__in=deliveries.values("alert_id"))
        page = Paginator(alerts.order_by("-created_at", "-pk"), self.page_size).get_page(self.request.GET.get("page"))
        prefetch_related_objects(list(page), Prefetch("deliveries", queryset=deliveries, to_attr="shown"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(form=form, page=page, nav="history", query=query.urlencode(), Status=Delivery.Status)
        return context
