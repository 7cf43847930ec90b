"""Write paths for contact profiles (C3–C7, C10). Views, the admin and sign-in sync call these."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ActivationMessage, ContactMethod, Language, Principal
from .phones import phone_parse


class ResendLimited(Exception):
    """Too many activation messages for one method in the window (C10)."""

    def __init__(self, retry_after_seconds):
        super().__init__(retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds


class AlreadyActivated(Exception):
    pass


@dataclass
class ContactChange:
    principal: Principal
    sent: list = field(default_factory=list)  # channels that got a new activation message
    removed: list = field(default_factory=list)  # channels whose value was cleared

    @property
    def changed(self):
        return bool(self.sent or self.removed)


def email_normalize(raw):
    """C5: a valid address, stored with its domain in lower case."""
    value = (raw or "").strip()
    validate_email(value)
    local, _at, domain = value.rpartition("@")
    return BaseUserManager.normalize_email(f"{local}@{domain.lower()}")


def contact_update(*, principal, phone, email, language, by=None):
    """Set a principal's mobile phone number, email address and alerting language (C3–C7).

    Raw input is validated here, whatever the caller (C4, C5); on any error nothing is saved. A new
    or changed value puts its method in Waiting for Activation and sends a link; an unchanged one
    keeps its status; a cleared one removes the method.
    """
    errors = {}
    new = {}
    try:
        new[ContactMethod.Channel.PHONE] = str(phone_parse(phone)) if (phone or "").strip() else ""
    except ValidationError as error:
        errors["phone"] = error.messages
    try:
        new[ContactMethod.Channel.EMAIL] = email_normalize(email) if (email or "").strip() else ""
    except ValidationError:
        errors["email"] = [_("Enter a valid email address, e.g. name@example.com.")]
    if language not in Language.values:
        errors["language"] = [_("Choose Auto, Chinese or English.")]
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        principal = Principal.objects.select_for_update().select_related("account").get(pk=principal.pk)
        old = {
            ContactMethod.Channel.PHONE: str(principal.phone or ""),
            ContactMethod.Channel.EMAIL: principal.email or "",
        }
        principal.phone = new[ContactMethod.Channel.PHONE]
        principal.email = new[ContactMethod.Channel.EMAIL]
        if old != new or principal.language != language:
            principal.language = language
            principal._history_user = by
            principal.save()
        change = ContactChange(principal=principal)
        methods = {m.channel: m for m in principal.contact_methods.select_for_update()}
        for channel in ContactMethod.Channel:
            method = methods.get(channel)
            if not new[channel]:
                if method is not None:
                    method._history_user = by
                    method.delete()
                    change.removed.append(channel)
            elif new[channel] != old[channel] or method is None:
                method = method or ContactMethod(principal=principal, channel=channel)
                method.principal = principal
                method.status = ContactMethod.Status.WAITING_FOR_ACTIVATION
                method.activated_at = None
                _send_new_link(method, by=by)
                change.sent.append(channel)
    return change


def activation_resend(*, method, by=None):
    """Send a new activation link for a waiting method (C10); older links stop working (C8)."""
    with transaction.atomic():
        method = ContactMethod.objects.select_for_update().select_related("principal").get(pk=method.pk)
        if method.is_activated:
            raise AlreadyActivated()
        window = timedelta(seconds=settings.ACTIVATION_RESEND_WINDOW_SECONDS)
        recent = list(
            method.activation_messages.filter(sent_at__gt=timezone.now() - window).values_list("sent_at", flat=True)
        )
        if len(recent) >= settings.ACTIVATION_RESEND_LIMIT:
            oldest = min(recent)
            raise ResendLimited(max(1, int((oldest + window - timezone.now()).total_seconds()) + 1))
        _send_new_link(method, by=by)
    return method


def _send_new_link(method, *, by):
    """Start a new link's clock, log the send, and hand the message to the worker once committed."""
    from .tasks import send_activation_message

    method.link_sent_at = timezone.now()
    method._history_user = by
    method.save()
    ActivationMessage.objects.create(method=method, sent_at=method.link_sent_at, sent_by=by if by and by.pk else None)
    method_id, sent_at = method.pk, method.link_sent_at.isoformat()
    transaction.on_commit(lambda: send_activation_message.enqueue(method_id=method_id, link_sent_at=sent_at))
