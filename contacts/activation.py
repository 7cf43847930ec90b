"""Activation messages and confirmation (C7–C9)."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .language import alerting_language, text_message_language
from .messaging import Message, message_send
from .models import ContactMethod
from .tokens import LinkState, activation_token_generator, link_valid_hours, method_uid


def activation_link(method):
    path = reverse("contacts:activate", args=[method_uid(method), activation_token_generator.make_token(method)])
    return settings.SITE_URL.rstrip("/") + path


def activation_send(method):
    """Send the current link of `method` to its own address, in the contact's language (a text
    message to a Chinese mainland number in Chinese, D3), through the transport of its channel;
    raises the named failures of contacts.messaging.failures."""
    principal = method.principal
    is_email = method.channel == ContactMethod.Channel.EMAIL
    if is_email:
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
        if is_email:
            subject = render_to_string("contacts/messages/activation_email_subject.txt", context).strip()
            body = render_to_string("contacts/messages/activation_email.txt", context)
        else:
            subject = ""
            body = render_to_string("contacts/messages/activation_sms.txt", context).strip()
    message_send(
        Message(
            channel="email" if is_email else "sms",
            to=method.value,
            language=language,
            kind="activation",
            subject=subject,
            body=body,
            account_uid=principal.account.uid,
            principal_id=principal.pk,
            # For providers that send approved templates: the link as its path after SITE_URL,
            # since the template holds the site's address (Alibaba Cloud refuses URLs in variables).
            params={
                "account": principal.account.name,
                "hours": str(context["hours"]),
                "link": context["link"].removeprefix(settings.SITE_URL.rstrip("/")).lstrip("/"),
            },
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
