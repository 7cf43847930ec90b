"""Planning an alert's deliveries: who, on which channel and route, in which language (D2–D4,
C10), and the fallback chain (D6)."""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.language import account_language, alerting_language, text_message_language
from contacts.models import Account, ContactMethod, Principal
from contacts.phones import phone_in_mainland, phone_is_mainland_mobile

from . import rows
from .models import Alert, Channel, Delivery, Membership, Workspace, WorkspaceWebhook

if TYPE_CHECKING:  # django-stubs (a development dependency) names lazy translations
    from django_stubs_ext import StrOrPromise

ROLE_PREFIX = "role:"
Status = Delivery.Status
Role = Delivery.Role


class Reason:
    """Reason codes of deliveries that end before anything is sent, with their text."""

    NO_ADDRESS = "NO_ADDRESS", _("The recipient has no address for this channel.")
    NOT_ACTIVATED = "NOT_ACTIVATED", _("The recipient's contact method is not activated.")
    NO_WEBHOOK = "NO_WEBHOOK", _("The number is outside the Chinese mainland and the workspace has no custom webhook.")
    NOT_MOBILE = (
        "NOT_MOBILE",
        _(
            "Phone calls and text messages go only to mobile numbers; "
            "this Chinese mainland number is not a mobile number."
        ),
    )
    NO_ACCOUNT_RECIPIENT = "NO_ACCOUNT_RECIPIENT", _("The account has no Basic Receiving Management email address.")


def recipients_lookup(*, workspace: Workspace, names: Iterable[object]) -> tuple[list[Principal], list[str]]:
    """(principals, unknown names): principals for names (RAM user login names; RAM roles as
    `role:Name`, or by name when no user has it) that are members of the workspace and still in
    RAM (C14), in one query."""
    wanted: list[tuple[str, str | None, str]] = []
    for raw in names:
        name = str(raw).strip()
        kind: str | None = Principal.Kind.ROLE if name.startswith(ROLE_PREFIX) else None
        wanted.append((str(raw), kind, name[len(ROLE_PREFIX) :] if kind else name))
    by_name: dict[tuple[str, str | None], Principal] = {}
    wanted_names = {name for _raw, _kind, name in wanted}
    for principal in _members_named(workspace, wanted_names):  # "role" sorts after "user"
        by_name.setdefault((principal.name, None), principal)
        by_name.setdefault((principal.name, principal.kind), principal)
    found: dict[int, Principal] = {}
    unknown: list[str] = []
    for raw, kind, name in wanted:
        member = by_name.get((name, kind)) if name else None
        if member is None:
            unknown.append(raw)
        else:
            found.setdefault(member.pk, member)
    return list(found.values()), unknown


@rows.statement
def _members_sql() -> str:
    """Principals of an account by name (the IN list is filled in) that are members of a workspace
    (alerts.access.is_member: a membership row) and still in RAM (C14), users before roles, with
    their account and each of their contact methods (one row per method)."""
    principal, method = rows.column(Principal, "id", "p"), rows.column(ContactMethod, "principal", "c")
    return (
        f"SELECT {rows.columns(Principal, 'p')}, {rows.columns(Account, 'a')}, {rows.columns(ContactMethod, 'c')}"
        f" FROM {rows.table(Principal)} p"
        f" JOIN {rows.table(Account)} a ON {rows.column(Account, 'id', 'a')} = {rows.column(Principal, 'account', 'p')}"
        f" LEFT JOIN {rows.table(ContactMethod)} c ON {method} = {principal}"
        f" WHERE {rows.column(Principal, 'account', 'p')} = %s"
        f" AND {rows.column(Principal, 'name', 'p')} IN ({{names}})"
        f" AND {rows.column(Principal, 'removed_at', 'p')} IS NULL"
        f" AND EXISTS (SELECT 1 FROM {rows.table(Membership)} m"
        f" WHERE {rows.column(Membership, 'principal', 'm')} = {principal}"
        f" AND {rows.column(Membership, 'workspace', 'm')} = %s)"
        f" ORDER BY {rows.column(Principal, 'kind', 'p')}, {principal}"
    )


def _members_named(workspace: Workspace, names: set[str]) -> list[Principal]:
    """The members of the workspace with these names, their account and contact methods (as
    `methods`, what delivery_plan reads) loaded: read on every alert, hand-written (alerts.rows)."""
    if not names:
        return []
    sql = _members_sql().replace("{names}", rows.placeholders(len(names)))
    params = [workspace.account_id, *sorted(names), workspace.pk]
    found: dict[int, Principal] = {}
    for principal, account, method in rows.select(sql, params, Principal, Account, ContactMethod):
        if principal.pk not in found:
            principal.account = account
            principal.methods = []
            found[principal.pk] = principal
        if method is not None:
            method.principal = found[principal.pk]
            found[principal.pk].methods.append(method)  # type: ignore[attr-defined]
    return list(found.values())


@rows.statement
def _methods_sql() -> str:
    table, principal = rows.table(ContactMethod), rows.column(ContactMethod, "principal", "c")
    return f"SELECT {rows.columns(ContactMethod, 'c')} FROM {table} c WHERE {principal} IN ({{ids}})"


def methods_attach(principals: Iterable[Principal]) -> None:
    """Each principal's contact methods as `methods` (what delivery_plan reads), in one read, for
    those that do not carry them yet (recipients_lookup loads them with the principals)."""
    by_id = {p.pk: p for p in principals if not hasattr(p, "methods")}
    for principal in by_id.values():
        principal.methods = []  # type: ignore[attr-defined]
    if not by_id:
        return
    sql = _methods_sql().replace("{ids}", rows.placeholders(len(by_id)))
    for (method,) in rows.select(sql, list(by_id), ContactMethod):
        principal = by_id[method.principal_id]
        method.principal = principal
        principal.methods.append(method)  # type: ignore[attr-defined]


def recipients_resolve(*, workspace: Workspace, names: Iterable[object]) -> list[Principal]:
    """Principals for names, members of the workspace. Raises ValidationError naming every unknown name."""
    found, unknown = recipients_lookup(workspace=workspace, names=names)
    if unknown:
        raise ValidationError(
            {
                "recipients": [
                    _("Not a RAM user or RAM role of this workspace: %(names)s.") % {"names": ", ".join(unknown)}
                ]
            }
        )
    if not found:
        raise ValidationError({"recipients": [_("Name at least one recipient.")]})
    return found


def _end(delivery: Delivery, reason: "tuple[str, StrOrPromise]") -> Delivery:
    code, text = reason
    delivery.status = Status.SEND_FAIL
    delivery.reason_code, delivery.reason = code, str(text)
    delivery.finished_at = timezone.now()
    return delivery


def delivery_plan(
    *,
    alert: Alert | None,
    channel: str,
    principal: Principal,
    role: str,
    webhook: WorkspaceWebhook | None,
    replaces: Delivery | None = None,
) -> Delivery:
    """An unsaved Delivery of `alert` to `principal` on `channel`: ready to send, or already ended
    with the reason it cannot be sent."""
    now = timezone.now()
    delivery = Delivery(
        alert=alert,
        channel=channel,
        role=role,
        principal=principal,
        recipient_name=principal.label,
        replaces=replaces,
        next_attempt_at=now,
        language=alerting_language(principal),
    )
    methods = getattr(principal, "methods", None)
    if methods is None:
        methods = list(principal.contact_methods.all())
    wanted = ContactMethod.Channel.EMAIL if channel == Channel.EMAIL else ContactMethod.Channel.PHONE
    method = next((m for m in methods if m.channel == wanted), None)
    if method is None or not method.value:
        return _end(delivery, Reason.NO_ADDRESS)
    delivery.address = method.value
    if not method.is_activated:
        return _end(delivery, Reason.NOT_ACTIVATED)  # C10: only activated methods receive alerts
    if channel == Channel.EMAIL:
        return delivery
    number = principal.phone
    if not phone_in_mainland(number):
        # D4: numbers outside the mainland go through the workspace's custom webhook.
        delivery.route = Delivery.Route.WEBHOOK
        return delivery if webhook else _end(delivery, Reason.NO_WEBHOOK)
    if not phone_is_mainland_mobile(number):
        return _end(delivery, Reason.NOT_MOBILE)  # D2
    if channel == Channel.SMS:
        delivery.language = text_message_language(principal, number)  # D3
    return delivery


def workspace_webhook_delivery(
    *, workspace: Workspace, webhook: WorkspaceWebhook | None, alert: Alert | None = None
) -> Delivery:
    delivery = Delivery(
        alert=alert,
        channel=Channel.WEBHOOK,
        role=Role.WORKSPACE,
        recipient_name=workspace.name,
        address=webhook.url if webhook else "",
        next_attempt_at=timezone.now(),
        route=Delivery.Route.WEBHOOK,
        language=account_language(workspace.account),
    )
    return delivery if webhook else _end(delivery, Reason.NO_WEBHOOK)


def account_recipient_delivery(*, failed: Delivery) -> Delivery:
    """D6, last stop for email: the account's Basic Receiving Management recipient."""
    account = failed.alert.workspace.account
    delivery = Delivery(
        alert=failed.alert,
        channel=Channel.EMAIL,
        role=Role.ACCOUNT_RECIPIENT,
        replaces=failed,
        recipient_name=account.basic_recipient_name or account.name,
        address=account.basic_recipient_email,
        language=account_language(account),
        next_attempt_at=timezone.now(),
    )
    if not account.basic_recipient_email:
        _end(delivery, Reason.NO_ACCOUNT_RECIPIENT)
    delivery.save()
    return delivery


def fallback_create(*, failed: Delivery) -> list[Delivery]:
    """The next deliveries after `failed` could not reach its recipient (D6). Returns them, saved."""
    created = []
    workspace = failed.alert.workspace
    if failed.role == Role.PRIMARY:
        alternate = workspace.alternate_contact
        if alternate is not None and alternate.pk != failed.principal_id:
            webhook = WorkspaceWebhook.objects.filter(workspace=workspace).first()
            step = delivery_plan(
                alert=failed.alert,
                channel=failed.channel,
                principal=alternate,
                role=Role.ALTERNATE,
                webhook=webhook,
                replaces=failed,
            )
            step.save()
            created.append(step)
            if step.status == Status.SEND_FAIL and failed.channel == Channel.EMAIL:
                created.append(account_recipient_delivery(failed=step))
        elif failed.channel == Channel.EMAIL:
            created.append(account_recipient_delivery(failed=failed))
    elif failed.role == Role.ALTERNATE and failed.channel == Channel.EMAIL:
        created.append(account_recipient_delivery(failed=failed))
    return created
