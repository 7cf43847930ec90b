from collections import defaultdict
from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import FormView, TemplateView

from alerts.access import Perm, WorkspaceAccessMixin, is_member, membership_of

from .activation import activation_confirm
from .forms import ContactForm
from .language import account_language
from .messaging.outbox import outbox_active, outbox_read, outbox_visible
from .models import ContactMethod, Language, Principal
from .pagination import LimitedCountPaginator
from .phones import email_mask, phone_mask, phone_parse
from .provider_problems import provider_problems_open
from .services import (
    AlreadyActivated,
    ResendLimited,
    activation_resend,
    contact_update,
    email_normalize,
    limit_message,
)
from .tokens import LinkState, activation_token_generator, link_valid_hours, method_for_uid, method_uid
from .versioning import StaleEdit, conflict_for

PAGE_SIZE = 50
PAGE_SIZES = (20, 50, 100)
# The list counts its principals up to this many; past it, it says "more than" (contacts.pagination).
COUNT_LIMIT = 1000


def page_size_of(request) -> int:
    """The page size the reader chose among PAGE_SIZES (the default otherwise)."""
    raw = request.GET.get("size", "")
    return int(raw) if raw.isdigit() and int(raw) in PAGE_SIZES else PAGE_SIZE


def contacts_of(workspace):
    """Principals shown on Alert Contacts: every principal of the workspace's account that has been
    added to a workspace (C1) and is still in RAM (C14). Narrowed to the account, so ids of other
    accounts never resolve."""
    return Principal.objects.filter(is_member(), account_id=workspace.account_id, removed_at__isnull=True)


def search_matches(query):
    """The search of the tabs: a substring of the name, display name, phone or email, in any case.
    On PostgreSQL a trigram index serves each of the four (contacts/migrations/0009); on SQLite it
    reads every principal of the account (README, "Big directories")."""
    return (
        Q(name__icontains=query)
        | Q(display_name__icontains=query)
        | Q(phone__icontains=query.replace(" ", ""))
        | Q(email__icontains=query)
    )


def methods_of(principals) -> defaultdict[int, list[ContactMethod]]:
    """principal id -> its contact methods (each knowing its principal), in one query."""
    by_pk = {principal.pk: principal for principal in principals}
    methods: defaultdict[int, list[ContactMethod]] = defaultdict(list)
    for method in ContactMethod.objects.filter(principal_id__in=by_pk).order_by("pk"):
        method.principal = by_pk[method.principal_id]
        methods[method.principal_id].append(method)
    return methods


def url_of(viewname, *args):
    """pk -> reverse(viewname, args=[*args, pk]), for the rows of a page at the cost of one reverse()
    (a page asked for some 170 URLs, a fifth of its rendering time)."""
    marker = 987_654_321_987_654_321  # a last argument no URL otherwise holds
    head, _, tail = reverse(viewname, args=[*args, marker]).rpartition(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def tab_url_name(kind):
    return "contacts:ram_users" if kind == Principal.Kind.USER else "contacts:ram_roles"


class ContactListView(WorkspaceAccessMixin, TemplateView):
    """The RAM User and RAM Role tabs of Alert Contacts (C1, C2, C11)."""

    template_name = "contacts/alert_contacts.html"
    kind = Principal.Kind.USER

    def get_queryset(self, query):
        qs = contacts_of(self.workspace).filter(kind=self.kind)
        if query:
            qs = qs.filter(search_matches(query))
        return qs.annotate(membership_here=membership_of(self.workspace)).order_by("name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()[:100]
        size = page_size_of(self.request)
        paginator = LimitedCountPaginator(self.get_queryset(query), size, count_limit=COUNT_LIMIT)
        page = paginator.get_page(self.request.GET.get("page"))
        alternate = self.workspace.alternate_contact
        # The methods of the page's principals and of the alternate contact, in one query.
        methods = methods_of([*page, *([alternate] if alternate else [])])
        ws = self.workspace.pk
        edit_url, resend_url = url_of("contacts:edit", ws), url_of("contacts:resend", ws)
        test_url = url_of("alerts:test_message", ws)
        for principal in page:
            principal.in_workspace = principal.membership_here is not None
            principal.edit_url = edit_url(principal.pk)
            principal.methods = methods[principal.pk]
            for method in principal.methods:
                method.resend_url, method.test_url = resend_url(method.pk), test_url(method.pk)
            by_channel = {m.channel: m for m in principal.methods}
            principal.phone_method = by_channel.get(ContactMethod.Channel.PHONE)
            principal.email_method = by_channel.get(ContactMethod.Channel.EMAIL)
        context.update(
            page=page,
            page_size=size,
            page_sizes=PAGE_SIZES,
            query=query,
            kind=self.kind,
            Kind=Principal.Kind,
            nav="contacts",
            can_edit=Perm.MANAGE_CONTACTS in self.permissions,
            auto_language=Language(account_language(self.workspace.account)).label,
            alternate=alternate,
            alternate_methods={m.channel: m for m in methods[alternate.pk]} if alternate else {},
        )
        return context


class ContactEditView(WorkspaceAccessMixin, FormView):
    """Edit in the Operation column; Confirm saves (C3–C7)."""

    required_permission = Perm.MANAGE_CONTACTS
    template_name = "contacts/contact_edit.html"
    form_class = ContactForm

    def get_principal(self):
        if not hasattr(self, "principal"):
            self.principal = (
                contacts_of(self.workspace).select_related("account").filter(pk=self.kwargs["principal_id"]).first()
            )
            if self.principal is None:
                raise Http404
        return self.principal

    def get_initial(self):
        principal = self.get_principal()
        return {
            "phone": str(principal.phone or ""),
            "email": principal.email,
            "language": principal.language,
            "version": principal.version,
        }

    def form_valid(self, form):
        principal = self.get_principal()
        values = {name: form.cleaned_data[name] for name in ("phone", "email", "language")}
        try:
            change = contact_update(
                principal=principal, by=self.request.user, version=form.cleaned_data["version"], **values
            )
        except StaleEdit as stale:
            return self.stale(form, stale.current)
        except ValidationError as error:
            for field_name, field_errors in error.message_dict.items():
                for message in field_errors:
                    form.add_error(field_name, message)
            return self.form_invalid(form)
        if change.sent:
            principal.refresh_from_db(fields=["phone", "email"])  # the service saved its own copy
            messages.success(
                self.request,
                _(
                    "Saved. An activation link is queued for sending: %(methods)s. "
                    "It stays Waiting for Activation until its owner opens the link."
                )
                % {"methods": "; ".join(method_to_address(channel, principal) for channel in change.sent)},
            )
        else:
            messages.success(self.request, _("Saved."))
        return redirect(tab_url_name(principal.kind), workspace_id=self.workspace.pk)

    def stale(self, form, current):
        """Another change was saved since this form was filled in: nothing is saved; the form comes
        back with the values entered, the current ones beside them with who changed them and when,
        and the current version, so Confirm again applies the values entered."""
        data = form.data.copy()
        data["version"] = str(current.version)
        form = self.get_form_class()(data)
        form.is_valid()
        yours = form.cleaned_data
        conflict = conflict_for(
            Principal.history.filter(id=current.pk),
            [
                (_("Mobile Phone Number"), str(current.phone or ""), _comparable(phone_normalize, yours["phone"])),
                (_("Email Address"), current.email, _comparable(email_normalize, yours["email"])),
                (_("Alerting Language"), Language(current.language).label, Language(yours["language"]).label),
            ],
        )
        del self.principal  # show the methods as they are now
        context = self.get_context_data(form=form, conflict=conflict)
        return self.render_to_response(context, status=409)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        principal = self.get_principal()
        context.update(
            principal=principal,
            nav="contacts",
            Kind=Principal.Kind,
            methods={m.channel: m for m in principal.contact_methods.all()},
            link_hours=link_valid_hours(),
        )
        return context


def method_to_address(channel: str, principal: Principal) -> str:
    """ "a text message to +86…", "an email to a@…": what a queued activation message goes by and to
    where, with the address as the contacts table shows it."""
    if channel == ContactMethod.Channel.PHONE:
        return _("text message to %(address)s") % {"address": principal.phone}
    return _("email to %(address)s") % {"address": principal.email}


def _comparable(normalize, raw):
    """A value entered in the form, in its stored form when it is valid (to compare it with the
    current one), as entered otherwise."""
    raw = (raw or "").strip()
    try:
        return normalize(raw) if raw else ""
    except ValidationError:
        return raw


def phone_normalize(raw):
    return str(phone_parse(raw))


class ResendActivationView(WorkspaceAccessMixin, View):
    """Resend an activation link for one waiting method (C10), rate-limited."""

    required_permission = Perm.MANAGE_CONTACTS
    http_method_names = ["post"]

    def post(self, request, workspace_id, method_id):
        method = (
            ContactMethod.objects.filter(pk=method_id, principal__in=contacts_of(self.workspace))
            .select_related("principal")
            .first()
        )
        if method is None:
            raise Http404
        try:
            activation_resend(method=method, by=request.user)
        except AlreadyActivated:
            messages.info(request, _("This contact method is already activated."))
        except ResendLimited as limited:
            messages.error(request, limit_message(limited))
        else:
            messages.success(
                request,
                _(
                    "A new activation link for %(principal)s is queued for sending: %(method)s. "
                    "Older links no longer work."
                )
                % {"principal": method.principal.label, "method": method_to_address(method.channel, method.principal)},
            )
        return redirect(tab_url_name(method.principal.kind), workspace_id=self.workspace.pk)


# Like django.contrib.auth's PasswordResetConfirmView: the link's token moves into the session and
# the page is served at a URL that holds this placeholder instead, so the token never stays in
# the address bar, the browser history, a Referer header or the request line of the POST.
ACTIVATION_SESSION_KEY = "_activation_tokens"
CONFIRM_URL_TOKEN = "confirm"


@method_decorator(never_cache, name="dispatch")
class ActivateView(View):
    """The link in an activation message (C9): its GET keeps the token in the session and redirects
    to the token-less confirm URL; that page's GET changes nothing (mail scanners and link
    previews open links); the contact's POST activates. No sign-in.

    The redirect sends `Referrer-Policy: no-referrer`. The pages send `same-origin`, which gives
    other sites no Referer either: under `no-referrer` browsers send `Origin: null` with a form's
    POST, and Django's CSRF check refuses it (the Activate button and the language switch would
    answer 403). Their addresses hold no live token, so our own origin may see them."""

    def dispatch(self, request, uidb64, token):
        method = method_for_uid(uidb64)
        if token == CONFIRM_URL_TOKEN:
            response = super().dispatch(request, method, self.session_token(request, method))
        else:
            state = activation_token_generator.check_token(method, token)
            if state is LinkState.VALID:
                request.session[ACTIVATION_SESSION_KEY] = {**self.session_tokens(request), str(method.pk): token}
                response = redirect("contacts:activate", uidb64=method_uid(method), token=CONFIRM_URL_TOKEN)
                response.headers["Referrer-Policy"] = "no-referrer"
                return response
            # A token that no longer works is shown where it is: there is nothing left to leak.
            response = self.render(request, state, method)
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    def get(self, request, method, token):
        if token is None:
            return self.render(request, LinkState.INVALID, method, reopen=True)
        return self.render(request, activation_token_generator.check_token(method, token), method)

    def post(self, request, method, token):
        if token is None:
            return self.render(request, LinkState.INVALID, method, reopen=True)
        # The token stays in the session once used: it no longer works, and a reload then says
        # the link was used.
        state = activation_confirm(method=method, token=token)
        if state is not LinkState.VALID:
            return self.render(request, state, method)
        return render(request, "contacts/activation_done.html", {"method": method})

    @staticmethod
    def session_tokens(request):
        tokens = request.session.get(ACTIVATION_SESSION_KEY)
        return tokens if isinstance(tokens, dict) else {}

    def session_token(self, request, method):
        return self.session_tokens(request).get(str(method.pk)) if method is not None else None

    def render(self, request, state, method, reopen=False):
        context = {"state": state.value, "hours": link_valid_hours(), "reopen": reopen}
        status = 200
        if state is LinkState.VALID:
            masked = (
                phone_mask(method.value) if method.channel == ContactMethod.Channel.PHONE else email_mask(method.value)
            )
            context.update(method=method, masked=masked)
        else:
            # Never who it was for: the page is the same for every link in this state.
            status = {LinkState.EXPIRED: 410, LinkState.USED: 410}.get(state, 404)
        return render(request, "contacts/activation_confirm.html", context, status=status)


class OutboxView(LoginRequiredMixin, TemplateView):
    """What the outbox 'sent', so people trying the product can open activation links.
    A development page (see outbox_active); each sign-in sees only what it may (outbox_visible)."""

    template_name = "contacts/outbox.html"

    def dispatch(self, request, *args, **kwargs):
        if not outbox_active():
            raise Http404  # before the sign-in check: a page that does not exist, for everybody
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        records = outbox_visible(outbox_read(), self.request.user)
        for record in records:
            # Stored in UTC (ISO 8601); as an aware datetime the template prints it in TIME_ZONE.
            record["sent_at"] = _moment(record.get("sent_at"))
        context["records"] = records
        return context


def _moment(value):
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, UTC)


@require_safe
def health(request):
    """GET /health for monitoring: 200 `{"status": "ok"}`, or 503 `{"status": "provider_problem",
    "problems": [...]}` while a provider refuses messages for a reason of the operator's set-up
    (contacts.provider_problems). Names the channel, provider, code and since when; no secret."""
    problems = [
        {"channel": p.channel, "provider": p.provider, "code": p.code, "since": p.since.isoformat()}
        for p in provider_problems_open()
    ]
    if problems:
        return JsonResponse({"status": "provider_problem", "problems": problems}, status=503)
    return JsonResponse({"status": "ok"})
