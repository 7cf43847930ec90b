"""The custom webhook and the gateways cannot reach internal services (rules D4, I3, E1): a URL
pointing to a local, private or reserved address is refused when saved (Custom Webhook page, the
admin) and, when it is in the database anyway, when used: the delivery ends DESTINATION_REFUSED
and no request is sent."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from alerts.dispatch import deliveries_process
from alerts.intake import alert_accept
from alerts.models import Delivery, WorkspaceWebhook
from alerts.webhooks import webhook_configure

# Hosts that reach the loopback peer of these tests, or this machine's networks.
REFUSED = [
    "127.0.0.1",
    "127.1",
    "localhost",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "0.0.0.0",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.10",
    "169.254.169.254",
    "[fe80::1]",
    "224.0.0.1",
    "100.64.0.1",
]
EXPLAINED = {"en": "local, private or reserved address", "zh-hans": "本机、私有或保留地址"}


@pytest.fixture
def nothing_allowed(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []


def _url(peer, host, path="/hook"):
    return f"http://{host}:{peer.server.server_address[1]}{path}"


@pytest.mark.parametrize("host", REFUSED)
def test_D4_E1_refused_webhook_url_is_not_saved(ws, nothing_allowed, host):
    with pytest.raises(ValidationError) as invalid:
        webhook_configure(workspace=ws, url=f"http://{host}:8080/hook")
    assert "url" in invalid.value.message_dict
    assert not WorkspaceWebhook.objects.filter(workspace=ws).exists()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("host", ["127.0.0.1", "169.254.169.254", "[::ffff:127.0.0.1]", "localhost"])
def test_D4_E1_webhook_page_explains_the_refusal_and_changes_nothing(
    ws, nothing_allowed, sign_in, settings, host, language
):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["203.0.113.0/24"]
    WorkspaceWebhook.objects.create(workspace=ws, url="https://203.0.113.7/hook", secret="s3cret")
    client = sign_in("dw-admin")
    client.cookies["django_language"] = language
    page = reverse("alerts:webhook", args=[ws.pk])
    html = client.post(page, {"action": "save", "url": f"http://{host}:8080/x"}, follow=True).content.decode()
    assert EXPLAINED[language] in html
    assert WorkspaceWebhook.objects.get(workspace=ws).url == "https://203.0.113.7/hook"


@pytest.mark.parametrize("language, expected", [("en", "four decimal numbers"), ("zh-hans", "四个十进制数")])
def test_D4_E1_numeric_host_forms_are_explained(ws, nothing_allowed, sign_in, language, expected):
    client = sign_in("dw-admin")
    client.cookies["django_language"] = language
    html = client.post(
        reverse("alerts:webhook", args=[ws.pk]), {"action": "save", "url": "http://2130706433/x"}, follow=True
    ).content.decode()
    assert expected in html
    assert not WorkspaceWebhook.objects.filter(workspace=ws).exists()


def test_D4_plain_http_refused_in_production_unless_the_network_is_allowed(ws, settings):
    settings.DEBUG = False
    settings.OUTBOUND_ALLOWED_NETWORKS = ["203.0.113.0/24"]
    webhook_configure(workspace=ws, url="http://203.0.113.7/hook")  # listed: plain http is fine
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    with pytest.raises(ValidationError) as invalid:
        webhook_configure(workspace=ws, url="http://8.8.8.8/hook")
    assert "https://" in " ".join(invalid.value.message_dict["url"])
    webhook_configure(workspace=ws, url="https://8.8.8.8/hook")


@pytest.mark.parametrize("host", ["127.0.0.1", "169.254.169.254", "[::1]", "10.0.0.1"])
def test_D4_E1_admin_form_refuses_internal_webhook_urls(ws, nothing_allowed, client, django_user_model, host):
    client.force_login(django_user_model.objects.get(username="support"))
    response = client.post(
        reverse("admin:alerts_workspacewebhook_add"),
        {"workspace": ws.pk, "url": f"http://{host}:8080/hook", "secret": "s3cret"},
    )
    assert response.status_code == 200
    assert "local, private or reserved address" in response.content.decode()
    assert not WorkspaceWebhook.objects.exists()


def test_D4_admin_form_accepts_an_allowed_network(ws, settings, client, django_user_model):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    client.force_login(django_user_model.objects.get(username="support"))
    response = client.post(
        reverse("admin:alerts_workspacewebhook_add"),
        {"workspace": ws.pk, "url": "http://10.0.0.1:8080/hook", "secret": "s3cret"},
    )
    assert response.status_code == 302
    assert WorkspaceWebhook.objects.get(workspace=ws).url == "http://10.0.0.1:8080/hook"


@pytest.mark.parametrize("host", REFUSED)
def test_D4_D8_refused_webhook_in_the_database_ends_destination_refused(ws, nothing_allowed, http_peer, host):
    """A URL saved before these rules (or written directly) is refused when used: no request, no
    retry, no fallback."""
    WorkspaceWebhook.objects.create(workspace=ws, url=_url(http_peer, host), secret="s3cret")
    alert = alert_accept(workspace=ws, title="Task failed", recipients=["bob"], channels=["sms"])
    deliveries_process()
    (delivery,) = alert.deliveries.all()
    assert (delivery.status, delivery.reason_code, delivery.attempts) == (
        Delivery.Status.SEND_FAIL,
        "DESTINATION_REFUSED",
        1,
    )
    assert http_peer.requests == []


@pytest.mark.parametrize("channel", ["sms", "voice"])
def test_D4_D7_refused_gateway_ends_destination_refused(ws, nothing_allowed, http_peer, channel):
    alert = alert_accept(workspace=ws, title="Task failed", recipients=["alice"], channels=[channel])
    deliveries_process()
    delivery = alert.deliveries.get()
    assert (delivery.status, delivery.reason_code, delivery.attempts) == (
        Delivery.Status.SEND_FAIL,
        "DESTINATION_REFUSED",
        1,
    )
    assert http_peer.requests == []


def test_D4_an_allowed_network_lets_the_push_through(ws, settings, http_peer):
    WorkspaceWebhook.objects.create(workspace=ws, url=http_peer.url + "/hook", secret="s3cret")
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    alert = alert_accept(workspace=ws, title="Task failed", recipients=["bob"], channels=["sms"])
    deliveries_process()
    assert alert.deliveries.get().status == Delivery.Status.SEND_SUCCESS
    assert len(http_peer.bodies("/hook")) == 1


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_I3_test_connectivity_to_a_refused_url_sends_nothing(ws, nothing_allowed, sign_in, http_peer, language):
    WorkspaceWebhook.objects.create(workspace=ws, url=_url(http_peer, "localhost"), secret="s3cret")
    client = sign_in("dw-admin")
    client.cookies["django_language"] = language
    html = client.post(reverse("alerts:webhook", args=[ws.pk]), {"action": "test"}).content.decode()
    assert "Test push delivered" not in html and "测试推送成功" not in html
    assert EXPLAINED[language] in html
    assert http_peer.requests == []
