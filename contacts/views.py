from django.core.paginator import Paginator
from django.db.models import Q
from django.views.generic import TemplateView

from alerts.access import WorkspaceAccessMixin
from .models import Principal

PAGE_SIZE = 50


class ContactListView(WorkspaceAccessMixin, TemplateView):
    """The RAM User and RAM Role tabs of Alert Contacts (C1, C2)."""

    template_name = "contacts/alert_contacts.html"
    kind = Principal.Kind.USER

    def principals(self):
        # C1: every principal of the account that has been added to a workspace.
        qs = Principal.objects.filter(
            account_id=self.workspace.account_id, kind=self.kind, memberships__isnull=False
        ).distinct()
        query = self.request.GET.get("q", "").strip()
        if query:
            qs = qs.filter(Q(name__icontains=query) | Q(display_name__icontains=query))
        return qs.order_by("name"), query

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        principals, query = self.principals()
        page = Paginator(principals, PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(page=page, query=query, kind=self.kind, Kind=Principal.Kind, nav="contacts")
        return context
