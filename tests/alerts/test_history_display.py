"""Alert History in the reader's language (issue 13, rule D10): statuses, sources, languages and
reasons translated at display time with the raw code only in a tooltip; the date filter's "To" is
not the recipient's."""

import re

from django.urls import reverse

from alerts import services
from alerts.dispatch import deliveries_process
from alerts.intake import alert_accept
from alerts.models import Alert
from contacts.models import Principal
from tests.console.test_development_pages import english_words


def chinese_client(sign_in):
    client = sign_in("dw-admin")
    client.post(reverse("set_language"), {"language": "zh-hans"})
    return client


def test_D10_statuses_and_filters_in_chinese(demo, sign_in):
    ws = demo["workspaces"]["demo_workspace"]
    alice = demo["principals"][("intl", "alice")]
    services.test_message_send(workspace=ws, method=alice.contact_methods.get(channel="email"))
    deliveries_process()
    client = chinese_client(sign_in)
    html = client.get(reverse("alerts:alert_history", args=[ws.pk])).content.decode()
    assert '<label for="id_until">结束日期' in html
    assert '<span title="test">测试消息</span>' in html
    alert = Alert.objects.get()
    detail = client.get(reverse("alerts:alert_detail", args=[ws.pk, alert.pk])).content.decode()
    assert 'title="SEND_SUCCESS">已发送</span>' in detail


def test_D10_sources_languages_and_reasons_in_chinese(demo, sign_in, settings):
    settings.MAILERS = {"default": {"BACKEND": "contacts.messaging.outbox.OutboxEmailBackend"}}
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "sms": "contacts.messaging.outbox.OutboxTransport",
    }
    ws = demo["workspaces"]["demo_workspace"]
    alert = alert_accept(workspace=ws, title="Disk full", recipients=["alice", "dave"], channels=["email", "sms"])
    Alert.objects.filter(pk=alert.pk).update(source="cli")
    deliveries_process()
    client = chinese_client(sign_in)
    history = client.get(reverse("alerts:alert_history", args=[ws.pk])).content.decode()
    assert '<span title="cli">命令行</span>' in history
    detail = client.get(reverse("alerts:alert_detail", args=[ws.pk, alert.pk])).content.decode()
    visible = re.sub(r"<[^>]+>", " ", detail)
    for raw in ("zh-hans", " en ", " cli "):
        assert raw not in visible
    assert 'data-language="zh-hans">中文</span>' in detail and 'data-language="en">英文' in detail
    assert 'title="SMTP_550" data-reason="SMTP_550">邮件服务器拒收该地址（SMTP 550）。' in detail
    assert "The mail server refused" not in detail


def test_T3_alert_page_in_chinese_has_no_english_words(demo, sign_in, settings):
    settings.MAILERS = {"default": {"BACKEND": "contacts.messaging.outbox.OutboxEmailBackend"}}
    ws = demo["workspaces"]["demo_workspace"]
    alert = alert_accept(workspace=ws, title="磁盘已满", recipients=["alice", "dave"], channels=["email"])
    deliveries_process()
    client = chinese_client(sign_in)
    data = " ".join(
        [f"{p.name} {p.display_name}" for p in Principal.objects.all()]
        + [d.address for d in alert.deliveries.all()]
        + [ws.name, "dw-admin", "demo-intl", "English", "SMTP"]  # SMTP: a protocol, named in a reason
    )
    data_words = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]+", data)}
    for url in (
        reverse("alerts:alert_history", args=[ws.pk]),
        reverse("alerts:alert_detail", args=[ws.pk, alert.pk]),
    ):
        assert english_words(client.get(url).content.decode(), data_words) == []
