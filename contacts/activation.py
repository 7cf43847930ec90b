"""Activation messages and confirmation (C7–C9)."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .language import alerting_language, text_message_language
from .mail_backends import ACCOUNT_HEADER, KIND_HEADER, LANGUAGE_HEADER, PRINCIPAL_HEADER
from .models import ContactMethod
from .sms import TextMessage, sms_send
from .tokens import LinkState, activation_token_generator, link_valid_hours, method_uid


def activation_link(method):
    path = reverse("contacts:activate", args=[method_uid(method), activation_token_generator.make_token(method)])
    return settings.SITE_URL.rstrip("/") + path


def activation_send(method):
    """Send the current link of `method` to its own address, in the contact's language (a text
    message to a Chinese mainland number in Chinese, D3)."""
    principal = method.principal
    if method.channel == ContactMethod.Channel.EMAIL:
        language = alerting_language(principal)
    else:
        language = text_message_language(principal, method.value)
    context = {
        "principal": principal,
        "link": activation_link(method),
        "hours": link_valid_hours(),
        "account": principal.account,
    }
    with translation.override(language):
        if method.channel == ContactMethod.Channel.EMAIL:
            subject = render_to_string("contacts/messages/activation_email_subject.txt", context).strip()
            body = render_to_string("contacts/messages/activation_email.txt", context)
            EmailMessage(
                subject,
                body,
                to=[method.value],
                headers={
                    LANGUAGE_HEADER: language,
                    KIND_HEADER: "activation",
                    ACCOUNT_HEADER: principal.account.uid,
                    PRINCIPAL_HEADER: str(principal.pk),
                },
            ).send()
        else:
            body = render_to_string("contacts/messages/activation_sms.txt", context).strip()
            sms_send(
                TextMessage(
                    to=method.value,
                    body=body,
                    language=language,
                    kind="activation",
                    extra={"account": principal.account.uid, "principal": principal.pk},
                )
            )


def activation_confirm(*, method, token):
    """Activate the method if the link is still valid; returns the link's state (C8, C9)."""
    with transaction.atomic():
        locked = ContactMethod.objects.select_for_update().select_related("principal").filter(pk=method.pk).first()
        state = activation_token_generator.check_token(locked, token)
        if state is LinkState.VALID:
            locked.status = ContactMethod.Status.ACTIVATED
            locked.activated_at = timezone.now()
            locked.save(update_fields=["status", "activated_at"])
    return state
