"""The text of an alert message, in the delivery's language, from translatable templates (D3), and
the custom-webhook JSON (D4).

Everything a message shows is put in the reader's language when it is rendered: severities,
the resolved flag, reasons of failed deliveries (from their codes, never the stored English
text) and times, which always carry their UTC offset."""

import re

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from contacts.messaging import Message
from contacts.messaging.destinations import refusal_text

from .models import Channel, Delivery
from .routing import Reason

# DataWorks' `remind_unit` is the monitoring granularity of the rule (Task, ScheduleResourceGroup…);
# an alert sent to this console concerns one workspace.
REMIND_UNIT = "Workspace"
# DataWorks sends this content in its connectivity test; forwarders written for DataWorks know it.
CONNECTIVITY_TEST_CONTENT = "DataWorks Workbench Alarm Connectivity Test"

SEVERITIES = {
    "critical": pgettext_lazy("severity", "Critical"),
    "fatal": pgettext_lazy("severity", "Fatal"),
    "error": pgettext_lazy("severity", "Error"),
    "major": pgettext_lazy("severity", "Major"),
    "high": pgettext_lazy("severity", "High"),
    "warning": pgettext_lazy("severity", "Warning"),
    "warn": pgettext_lazy("severity", "Warning"),
    "minor": pgettext_lazy("severity", "Minor"),
    "medium": pgettext_lazy("severity", "Medium"),
    "low": pgettext_lazy("severity", "Low"),
    "info": pgettext_lazy("severity", "Info"),
}

# Reasons of failed deliveries by code; codes with a number (HTTP_404, SMTP_550) by their family.
REASONS = {
    code: text
    for code, text in (
        Reason.NO_ADDRESS,
        Reason.NOT_ACTIVATED,
        Reason.NO_WEBHOOK,
        Reason.NOT_MOBILE,
        Reason.NO_ACCOUNT_RECIPIENT,
    )
} | {
    "OVER_DAILY_LIMIT": gettext_lazy("The daily maximum for this channel is reached (Alert Resources)."),
    "UNKNOWN_NUMBER": gettext_lazy("The number is unknown."),
    "TIMEOUT": gettext_lazy("The service did not answer in time."),
    "CONNECTION": gettext_lazy("The service could not be reached."),
    "SMTP_CONNECTION": gettext_lazy("The mail server could not be reached."),
    "INCORRECT_CONTACT": gettext_lazy("The address or number was rejected as incorrect."),
    "DESTINATION_REFUSED": gettext_lazy(
        "The URL was refused: requests do not go to local, private or reserved "
        "addresses, nor over plain http where https is required."
    ),
}
NUMBERED = re.compile(r"^(HTTP|SMTP)_(\d{3})$")

# The `status` variable of the provider templates (text message and call): firing or resolved.
ALERT_STATES = {
    False: pgettext_lazy("alert state", "firing"),
    True: pgettext_lazy("alert state", "resolved"),
}

# A console test message (I3) is written in its reader's language, not in the sender's.
TEST_TITLE = gettext_lazy("Test message")
TEST_CONTENT = gettext_lazy("A test message from DataWorks Alert Contacts. No action is needed.")


def severity_label(value):
    """A known severity in the active language; any other one as it was given."""
    label = SEVERITIES.get((value or "").strip().lower())
    return str(label) if label else value


def reason_text(code, details=None):
    """Why a delivery failed, in the active language, from its reason code (and details)."""
    details = details or {}
    if code == "REDIRECT":
        return _(
            "The service answered HTTP %(status)s, a redirect to %(location)s. Redirects are not followed: "
            "enter the final URL."
        ) % {"status": details.get("status", "3xx"), "location": details.get("location") or _("(no address given)")}
    if code == "DESTINATION_REFUSED" and details.get("reason"):
        return refusal_text(details)
    if code in REASONS:
        return str(REASONS[code])
    numbered = NUMBERED.match(code or "")
    if numbered:
        return _numbered_reason(numbered.group(1), int(numbered.group(2)))
    return _("The message could not be delivered (%(code)s).") % {"code": code or "?"}


def _numbered_reason(family, status):
    if family == "SMTP":
        if status >= 500:
            return _("The mail server refused the address (SMTP %(status)s).") % {"status": status}
        return _("The mail server could not take the message for now (SMTP %(status)s).") % {"status": status}
    if status in (404, 410, 422):
        return _("The number was rejected as unknown (HTTP %(status)s).") % {"status": status}
    if status >= 500 or status in (408, 429):
        return _("The service could not take the message for now (HTTP %(status)s).") % {"status": status}
    return _("The service refused the message (HTTP %(status)s).") % {"status": status}


def utc_offset(moment):
    """`+08:00` for a time in Asia/Shanghai."""
    text = timezone.localtime(moment).strftime("%z")
    return f"{text[:3]}:{text[3:]}"


def time_with_zone(moment, *, short=False):
    """`2026-11-27 10:00:00 (UTC+08:00)`, or `11-27 10:00 UTC+08:00` where room is scarce."""
    local = timezone.localtime(moment)
    if short:
        return _("%(time)s UTC%(offset)s") % {"time": local.strftime("%m-%d %H:%M"), "offset": utc_offset(local)}
    return _("%(time)s (UTC%(offset)s)") % {"time": local.strftime("%Y-%m-%d %H:%M:%S"), "offset": utc_offset(local)}


def console_url(path):
    return settings.SITE_URL.rstrip("/") + path


def alert_url(alert):
    """The alert in the console: its workspace's alert history filtered to this alert."""
    return console_url(reverse("alerts:alert_history", args=[alert.workspace_id])) + f"?alert={alert.pk}"


def webhook_message(
    *, title, rule, remind_type, moment, more_information, workspace, severity="", content="", alert_id=None
):
    """The `message` object of DataWorks' custom-webhook format, plus our own fields under their
    own names (severity, content, alert_id). `occur_time` keeps DataWorks' format and is local time
    in TIME_ZONE; `time_zone` is its UTC offset (`occur_time + time_zone` is ISO 8601)."""
    return {
        "title": title,
        "remind_name": rule,
        "remind_unit": REMIND_UNIT,
        "remind_type": remind_type,
        "occur_time": timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S"),
        "time_zone": utc_offset(moment),
        "more_information": more_information,
        "project_name": workspace.name,
        "severity": severity,
        "content": content,
        "alert_id": alert_id,
    }


def webhook_payload(delivery, text=""):
    """The push of one delivery (D4): DataWorks' message, the delivery, and the recipient this push
    is for (absent when the alert asked for the workspace's webhook itself) with the message text
    already written in the recipient's language."""
    alert = delivery.alert
    payload = {
        "message": webhook_message(
            title=alert.title,
            rule=alert.rule,
            remind_type="resolved" if alert.resolved else "firing",
            moment=alert.created_at,
            more_information=alert_url(alert),
            workspace=alert.workspace,
            severity=alert.severity,
            content=alert.content,
            alert_id=alert.pk,
        ),
        "delivery_id": delivery.pk,
        "test": alert.source == "test",
    }
    if delivery.role != Delivery.Role.WORKSPACE:
        payload["recipient"] = {
            "name": delivery.recipient_name,
            "number": delivery.address,
            "language": delivery.language,
            "channel": delivery.channel,
            "text": text,
        }
    return payload


def webhook_test_payload(webhook):
    """The connectivity test (I3): the same shape as an alert push to the workspace's webhook."""
    workspace = webhook.workspace
    return {
        "message": webhook_message(
            title="Connectivity test",
            rule="connectivity test",
            remind_type="test",
            moment=timezone.now(),
            more_information=console_url(reverse("alerts:webhook", args=[workspace.pk])),
            workspace=workspace,
            content=CONNECTIVITY_TEST_CONTENT,
        ),
        "delivery_id": None,
        "test": True,
    }


def missed_contacts(delivery):
    """For the Basic Receiving Management recipient (D6): who did not receive the alert and why,
    primary contact first, with reasons in the active language."""
    chain = []
    step = delivery.replaces
    while step is not None:
        chain.append(step)
        step = step.replaces
    return [
        {
            "role": step.get_role_display(),
            "name": step.recipient_name,
            "address": step.address,
            "reason": reason_text(step.reason_code),
        }
        for step in reversed(chain)
    ]


def alert_texts(delivery):
    """(subject, body, params) of one delivery, in its language. They depend on the alert, the
    language, the channel and, for the Basic Receiving Management recipient, the fallback chain:
    the templates are given no recipient, so that a worker renders them once per alert, language
    and channel (`alert_message`'s `texts`)."""
    alert = delivery.alert
    for_account_recipient = delivery.role == Delivery.Role.ACCOUNT_RECIPIENT
    with translation.override(delivery.language or "en"):
        is_test = alert.source == "test"
        context = {
            "alert": alert,
            "workspace": alert.workspace,
            "title": str(TEST_TITLE) if is_test else alert.title,
            "content": str(TEST_CONTENT) if is_test else alert.content,
            "severity": severity_label(alert.severity),
            "occur_time": time_with_zone(alert.created_at),
            "occur_time_short": time_with_zone(alert.created_at, short=True),
            "for_account_recipient": for_account_recipient,
            "missed": missed_contacts(delivery) if for_account_recipient else [],
            "no_alternate": for_account_recipient and alert.workspace.alternate_contact_id is None,
        }
        subject = render_to_string("alerts/messages/alert_subject.txt", context).strip()
        template = {Channel.EMAIL: "alert_email.txt", Channel.VOICE: "alert_voice.txt"}.get(
            delivery.channel, "alert_sms.txt"
        )
        body = render_to_string(f"alerts/messages/{template}", context).strip()
        # The same facts as variables, for providers that send approved templates (Alibaba Cloud).
        params = {
            "status": str(ALERT_STATES[bool(alert.resolved)]),
            "title": context["title"],
            "workspace": alert.workspace.name,
            "time": context["occur_time_short"],
        }
    return subject, body, params


def alert_message(delivery, webhook=None, texts=None):
    """The Message of one delivery, for the transport of its channel: the workspace's webhook for
    a delivery routed there (D4), the delivery's own channel otherwise. A test message (I3) is of
    kind `test`. `texts`, a dict kept by the caller for a batch of deliveries, keeps the rendered
    texts by alert, language and channel (not those of the Basic Receiving Management recipient,
    which name the fallback chain of each delivery)."""
    alert = delivery.alert
    if texts is None or delivery.role == Delivery.Role.ACCOUNT_RECIPIENT:
        subject, body, params = alert_texts(delivery)
    else:
        key = (alert.pk, delivery.language, delivery.channel)
        if key not in texts:
            texts[key] = alert_texts(delivery)
        subject, body, params = texts[key]
    is_test = alert.source == "test"
    to_webhook = delivery.route == Delivery.Route.WEBHOOK
    return Message(
        channel=Channel.WEBHOOK if to_webhook else delivery.channel,
        to=delivery.address,
        language=delivery.language,
        kind="test" if is_test else "alert",
        subject=subject,
        body=body,
        account_uid=alert.workspace.account.uid,
        workspace_id=alert.workspace_id,
        principal_id=delivery.principal_id,
        delivery_id=delivery.pk,
        webhook_url=webhook.url if webhook else "",
        webhook_secret=webhook.secret if webhook else "",
        payload=webhook_payload(delivery, body) if to_webhook else {},
        params={} if to_webhook else dict(params),
    )
