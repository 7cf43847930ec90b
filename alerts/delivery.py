"""Planning an alert's deliveries: who, on which channel and route, in which language (D2–D4,
C10), and the fallback chain (D6)."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contacts.language import alerting_language
from contacts.models import ContactMethod, Language, Principal
from contacts.phones import phone_is_mainland_mobile

from .access import is_member
from .models import Channel, Delivery, WorkspaceWebhook

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


def recipients_lookup(*, workspace, names):
    """(principals, unknown names): principals for names (RAM user login names; RAM roles as
    `role:Name`, or by name when no user has it) that are members of the workspace and still in
    RAM (C14), in one query."""
    wanted = []
    for raw in names:
        name = str(raw).strip()
        kind = Principal.Kind.ROLE if name.startswith(ROLE_PREFIX) else None
        wanted.append((str(raw), kind, name[len(ROLE_PREFIX) :] if kind else name))
    members = Principal.objects.filter(
        is_member(workspace=workspace),
        account_id=workspace.account_id,
        name__in={name for _, _, name in wanted},
        removed_at__isnull=True,
    )
    by_name = {}
    for principal in members.select_related("account").order_by("kind"):  # "role" sorts after "user"
        by_name.setdefault((principal.name, None), principal)
        by_name.setdefault((principal.name, principal.kind), principal)
    found, unknown = {}, []
    for raw, kind, name in wanted:
        principal = by_name.get((name, kind)) if name else None
        if principal is None:
            unknown.append(raw)
        else:
            found.setdefault(principal.pk, principal)
    return list(found.values()), unknown


def recipients_resolve(*, workspace, names):
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


def wake_workers():
    from .tasks import deliver_due

    deliver_due.enqueue()


def _end(delivery, reason):
    code, text = reason
    delivery.status = Status.SEND_FAIL
    delivery.reason_code, delivery.reason = code, str(text)
    delivery.finished_at = timezone.now()
    return delivery


def delivery_plan(*, alert, channel, principal, role, webhook, replaces=None):
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
    if not _in_mainland(number):
        # D4: numbers outside the mainland go through the workspace's custom webhook.
        delivery.route = Delivery.Route.WEBHOOK
        return delivery if webhook else _end(delivery, Reason.NO_WEBHOOK)
    if not phone_is_mainland_mobile(number):
        return _end(delivery, Reason.NOT_MOBILE)  # D2
    if channel == Channel.SMS and not principal.account.is_china_site:
        delivery.language = Language.CHINESE.value  # D3: mainland numbers get Chinese text messages
    return delivery


def _in_mainland(number):
    return phonenumbers.region_code_for_number(number) == "CN"


def workspace_webhook_delivery(*, workspace, webhook, alert=None):
    delivery = Delivery(
        alert=alert,
        channel=Channel.WEBHOOK,
        role=Role.WORKSPACE,
        recipient_name=workspace.name,
        address=webhook.url if webhook else "",
        next_attempt_at=timezone.now(),
        route=Delivery.Route.WEBHOOK,
        language=Language.CHINESE.value if workspace.account.is_china_site else Language.ENGLISH.value,
    )
    return delivery if webhook else _end(delivery, Reason.NO_WEBHOOK)


def account_recipient_delivery(*, failed):
    """D6, last stop for email: the account's Basic Receiving Management recipient."""
    account = failed.alert.workspace.account
    delivery = Delivery(
        alert=failed.alert,
        channel=Channel.EMAIL,
        role=Role.ACCOUNT_RECIPIENT,
        replaces=failed,
        recipient_name=account.basic_recipient_name or account.name,
        address=account.basic_recipient_email,
        language=Language.CHINESE.value if account.is_china_site else Language.ENGLISH.value,
        next_attempt_at=timezone.now(),
    )
    if not account.basic_recipient_email:
        _end(delivery, Reason.NO_ACCOUNT_RECIPIENT)
    delivery.save()
    return delivery


def fallback_create(*, failed):
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
