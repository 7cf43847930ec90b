"""Alert messages read right in their language (rules D3, D6): plain text without HTML entities,
severities, the resolved flag, failure reasons and times with their zone, in English and Chinese."""

import pytest

from alerts.dispatch import deliveries_process
from alerts.intake import alert_accept
from alerts.models import Delivery, Workspace
from contacts.models import Account, Principal

ENTITIES = ("&lt;", "&gt;", "&quot;", "&amp;", "&#x27;", "&#39;", "&#34;")
TRICKY = '<b>"Tom & Jerry\'s"</b>'
S = Delivery.Status


@pytest.fixture
def voice_outbox(settings, sms_outbox):
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "voice": "contacts.messaging.locmem.LocmemTransport",
    }
    return sms_outbox


def send(ws, to, channels, **kwargs):
    fields = {"title": "Task failed", "content": "Node etl_daily failed", "rule": "etl rule", "severity": "critical"}
    alert = alert_accept(workspace=ws, recipients=to, channels=channels, **{**fields, **kwargs})
    deliveries_process()
    return alert


def texts_of(mailoutbox, sms_outbox):
    return {
        "subject": mailoutbox[-1].subject,
        "email": mailoutbox[-1].body,
        **{message.channel: message.body for message in sms_outbox},
    }


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_D3_plain_text_messages_have_no_html_entities(ws, language, mailoutbox, voice_outbox):
    """D3: titles, content and rule names with <, ", ' and & arrive as written on every channel."""
    Principal.objects.filter(name="alice").update(language=language)
    send(ws, ["alice"], ["email", "sms", "voice"], title=TRICKY, content=TRICKY, rule=TRICKY)
    texts = texts_of(mailoutbox, voice_outbox)
    assert set(texts) == {"subject", "email", "sms", "voice"}
    for channel, text in texts.items():
        assert TRICKY in text, channel
        assert not any(entity in text for entity in ENTITIES), (channel, text)


@pytest.mark.parametrize(
    "language, severity, expected",
    [
        ("en", "critical", "Severity: Critical"),
        ("zh-hans", "critical", "级别：严重"),
        ("en", "WARNING", "Severity: Warning"),
        ("zh-hans", "warning", "级别：警告"),
        ("zh-hans", "error", "级别：错误"),
        ("zh-hans", "info", "级别：提示"),
        ("en", "p1-urgent", "Severity: p1-urgent"),
        ("zh-hans", "p1-urgent", "级别：p1-urgent"),
    ],
)
def test_D3_severity_in_the_contact_language(ws, mailoutbox, language, severity, expected):
    """D3: known severities are translated when the message is written; unknown ones stay as given."""
    Principal.objects.filter(name="carol").update(language=language)
    send(ws, ["carol"], ["email"], severity=severity)
    assert expected in mailoutbox[-1].body


def test_D3_resolved_alert_reads_naturally_in_english(ws, mailoutbox, voice_outbox):
    """D3: a resolved alert says so in English on every channel."""
    Principal.objects.filter(name="alice").update(language="en")
    send(ws, ["alice"], ["email", "sms", "voice"], resolved=True)
    texts = texts_of(mailoutbox, voice_outbox)
    assert texts["subject"] == "[RESOLVED] [DataWorks alert] Task failed (demo_workspace)"
    assert texts["email"].startswith("[RESOLVED] Alert: Task failed")
    assert texts["sms"].startswith(
        "【DataWorks】【已恢复】Task failed（demo_workspace，"
    )  # D3: mainland texts are Chinese
    assert texts["voice"] == "The DataWorks alert for workspace demo_workspace is resolved: Task failed."


def test_D3_resolved_alert_reads_naturally_in_chinese(ws, mailoutbox, voice_outbox):
    """D3: a resolved alert says 已恢复 in Chinese, with no English left in the text around it."""
    Principal.objects.filter(name="alice").update(language="zh-hans")
    send(ws, ["alice"], ["email", "sms", "voice"], resolved=True)
    texts = texts_of(mailoutbox, voice_outbox)
    assert texts["subject"] == "【已恢复】【DataWorks 告警】Task failed（demo_workspace）"
    assert texts["email"].startswith("【已恢复】告警：Task failed")
    assert texts["sms"].startswith("【DataWorks】【已恢复】Task failed（demo_workspace，")
    assert texts["voice"] == "DataWorks 工作空间 demo_workspace 的告警已恢复：Task failed。"
    for text in texts.values():
        assert "RESOLVED" not in text


@pytest.mark.parametrize(
    "language, full",
    [
        ("en", "Time: {day} {time} (UTC+08:00)"),
        ("zh-hans", "时间：{day} {time}（UTC+08:00）"),
    ],
)
def test_D3_times_carry_their_zone(ws, mailoutbox, sms_outbox, settings, language, full):
    """D3: times in messages name their UTC offset (TIME_ZONE, Asia/Shanghai by default)."""
    from django.utils import timezone

    settings.TIME_ZONE = "Asia/Shanghai"
    Principal.objects.filter(name="alice").update(language=language)
    alert = send(ws, ["alice"], ["email", "sms"])
    local = timezone.localtime(alert.created_at)
    assert full.format(day=local.strftime("%Y-%m-%d"), time=local.strftime("%H:%M:%S")) in mailoutbox[-1].body
    assert f"（demo_workspace，{local.strftime('%m-%d %H:%M')} UTC+08:00）" in sms_outbox[-1].body  # D3: always Chinese


def test_D3_times_follow_the_configured_zone(ws, mailoutbox, settings):
    """D3: with another TIME_ZONE the offset follows it (New York in winter is UTC-05:00)."""
    from django.utils import timezone

    settings.TIME_ZONE = "America/New_York"
    alert = send(ws, ["carol"], ["email"])
    offset = timezone.localtime(alert.created_at).strftime("%z")
    assert f"(UTC{offset[:3]}:{offset[3:]})" in mailoutbox[-1].body


@pytest.fixture
def refusing(smtp):
    """Dave's and the alternate contact's addresses are refused by the mail server (550)."""
    smtp.refuse |= {"dave@example.invalid", "oncall@example.com"}
    Principal.objects.filter(name="dave").update(display_name=TRICKY)
    return smtp


def account_mail(smtp):
    import email

    (recipients, _, raw) = smtp.messages[-1]
    assert recipients == ["billing@example.com"]
    return email.message_from_bytes(raw).get_payload(decode=True).decode()


def test_D6_account_recipient_email_names_the_contacts_and_why_in_english(ws, refusing):
    """D6: the Basic Receiving Management recipient reads who did not receive the alert and why."""
    alert = send(ws, ["dave"], ["email"])
    final = alert.deliveries.get(role=Delivery.Role.ACCOUNT_RECIPIENT)
    assert final.status == S.SEND_SUCCESS and final.language == "en"
    body = account_mail(refusing)
    assert "did not receive it" in body
    assert f"- Primary contact {TRICKY} (dave@example.invalid): The mail server refused the address (SMTP 550)." in body
    assert (
        "- Alternate alert contact OnCallBackup (oncall@example.com): The mail server refused the address (SMTP 550)."
        in body
    )
    assert body.index("Primary contact") < body.index("Alternate alert contact")
    assert not any(entity in body for entity in ENTITIES)


def test_D6_account_recipient_email_names_the_contacts_and_why_in_chinese(ws, refusing):
    """D6, D3: on a China-site account the same email is Chinese, reasons translated from their codes."""
    Account.objects.filter(pk=ws.account_id).update(site=Account.Site.CHINA)
    alert = send(ws, ["dave"], ["email"])
    assert alert.deliveries.get(role=Delivery.Role.ACCOUNT_RECIPIENT).language == "zh-hans"
    body = account_mail(refusing)
    assert "工作空间的告警联系人均未收到" in body
    assert f"- 主告警联系人 {TRICKY}（dave@example.invalid）：邮件服务器拒收该地址（SMTP 550）。" in body
    assert "- 备用告警联系人 OnCallBackup（oncall@example.com）：邮件服务器拒收该地址（SMTP 550）。" in body
    assert "refused" not in body and "Severity" not in body


def test_D6_account_recipient_email_without_an_alternate(ws, refusing):
    """D6: with no alternate alert contact the email says so and names the primary contact."""
    Workspace.objects.filter(pk=ws.pk).update(alternate_contact=None)
    send(ws, ["dave"], ["email"])
    body = account_mail(refusing)
    assert "- Primary contact" in body and "Alternate alert contact OnCallBackup" not in body
    assert "The workspace has no alternate alert contact." in body


def test_D6_alternate_without_address_is_named_with_its_reason(ws, refusing):
    """D6: an alternate that could not even be tried (no email) is named with that reason."""
    Principal.objects.filter(name="OnCallBackup").update(email="")
    from contacts.models import ContactMethod

    ContactMethod.objects.filter(principal__name="OnCallBackup", channel="email").delete()
    send(ws, ["dave"], ["email"])
    body = account_mail(refusing)
    assert "- Alternate alert contact OnCallBackup (—): The recipient has no address for this channel." in body


@pytest.mark.parametrize(
    "language, subject, text",
    [
        (
            "zh-hans",
            "【DataWorks 告警】测试消息（demo_workspace）",
            "这是来自 DataWorks 告警联系人的测试消息，无需任何操作。",
        ),
        (
            "en",
            "[DataWorks alert] Test message (demo_workspace)",
            "A test message from DataWorks Alert Contacts. No action is needed.",
        ),
    ],
)
def test_I3_D3_test_message_is_written_in_the_contact_language(ws, sign_in, mailoutbox, language, subject, text):
    """I3, D3: a test message sent from a console in another language reads in the contact's language."""
    from django.urls import reverse

    from contacts.models import ContactMethod

    Principal.objects.filter(name="alice").update(language=language)
    client = sign_in("dw-admin")
    client.cookies["django_language"] = "zh-hans" if language == "en" else "en"
    method = ContactMethod.objects.get(principal__name="alice", channel="email")
    client.post(reverse("alerts:test_message", args=[ws.pk, method.pk]))
    deliveries_process()
    assert mailoutbox[-1].subject == subject
    assert mailoutbox[-1].body.endswith(text)
