"""The text of an alert message, in the delivery's language, from translatable templates (D3)."""

from django.template.loader import render_to_string
from django.utils import timezone, translation

from .channels.base import AlertMessage
from .models import Channel, Delivery


def webhook_payload(delivery):
    """DataWorks' custom-webhook JSON, plus the recipient this push is for (D4)."""
    alert = delivery.alert
    payload = {
        "message": {
            "title": alert.title,
            "remind_name": alert.rule,
            "remind_type": alert.severity,
            "occur_time": timezone.localtime(alert.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            "more_information": alert.content,
            "project_name": alert.workspace.name,
            "alert_id": alert.pk,
        },
        "delivery_id": delivery.pk,
    }
    if delivery.role != Delivery.Role.WORKSPACE:
        payload["recipient"] = {"name": delivery.recipient_name, "number": delivery.address,
                                "language": delivery.language, "channel": delivery.channel}
    return payload


def alert_message(delivery, webhook=None):
    alert = delivery.alert
    context = {"alert": alert, "delivery": delivery, "workspace": alert.workspace,
               "occur_time": timezone.localtime(alert.created_at),
               "for_account_recipient": delivery.role == Delivery.Role.ACCOUNT_RECIPIENT}
    with translation.override(delivery.language or "en"):
        subject = render_to_string("alerts/messages/alert_subject.txt", context).strip()
        template = {Channel.EMAIL: "alert_email.txt", Channel.VOICE: "alert_voice.txt"}.get(delivery.channel, "alert_sms.txt")
        body = render_to_string(f"alerts/messages/{template}", context).strip()
    return AlertMessage(
        delivery_id=delivery.pk, channel=delivery.channel, to=delivery.address, language=delivery.language,
        subject=subject, body=body, account_uid=alert.workspace.account.uid,
        webhook_url=webhook.url if webhook else "", webhook_secret=webhook.secret if webhook else "",
        payload=webhook_payload(delivery) if delivery.route == Delivery.Route.WEBHOOK else {},
    )
