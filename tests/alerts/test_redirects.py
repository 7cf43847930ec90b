"""A redirect is not a delivery (rules D4, D7, D8, I3): the webhook and the gateways never follow a
3xx; the attempt ends as a permanent failure with reason REDIRECT naming the Location."""

from http.server import BaseHTTPRequestHandler

import pytest
from django.urls import reverse

from alerts.dispatch import deliveries_process
from alerts.intake import alert_accept
from alerts.models import Delivery, WorkspaceWebhook
from contacts.messaging.failures import PermanentFailure
from contacts.messaging.http import post_json
from tests.peers import LoopbackHttpServer

REDIRECTS = [301, 302, 303, 307, 308]


class RedirectingPeer(LoopbackHttpServer):
    """Answers POST /from-<status> with that status and a Location to /final on itself; answers
    anything at /final with 200 (so a client that follows the redirect would see success)."""

    def __init__(self):
        self.requests = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                peer.requests.append((self.command, self.path))
                if self.path.startswith("/from-"):
                    self.send_response(int(self.path.removeprefix("/from-")))
                    self.send_header("Location", peer.url + "/final")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self._serve(Handler)


@pytest.fixture
def redirecting(settings):
    with RedirectingPeer() as peer:
        settings.HTTP_TIMEOUT_SECONDS = 2.0
        yield peer


@pytest.mark.parametrize("status", REDIRECTS)
def test_D4_post_json_never_follows_a_redirect(redirecting, status):
    """D4: a 3xx answer is a permanent failure REDIRECT that names the Location; nothing follows it."""
    with pytest.raises(PermanentFailure) as caught:
        post_json(f"{redirecting.url}/from-{status}", {"x": 1}, timeout=2)
    assert caught.value.code == "REDIRECT"
    assert caught.value.details == {"status": status, "location": redirecting.url + "/final"}
    assert redirecting.url + "/final" in caught.value.text
    assert redirecting.requests == [("POST", f"/from-{status}")]


@pytest.mark.parametrize("status", REDIRECTS)
def test_D4_D8_webhook_redirect_ends_send_fail_redirect(ws, redirecting, status):
    """D4, D8: a webhook that redirects gets no delivery: SEND_FAIL, REDIRECT, no retry, no fallback."""
    WorkspaceWebhook.objects.create(workspace=ws, url=f"{redirecting.url}/from-{status}", secret="s3cret")
    alert = alert_accept(workspace=ws, title="Task failed", recipients=["bob"], channels=["sms"])
    deliveries_process()
    (delivery,) = alert.deliveries.all()
    assert delivery.status == Delivery.Status.SEND_FAIL
    assert delivery.reason_code == "REDIRECT"
    assert redirecting.url + "/final" in delivery.reason
    assert delivery.attempts == 1
    assert redirecting.requests == [("POST", f"/from-{status}")]


@pytest.mark.parametrize("status", [302, 308])
def test_D1_D7_gateway_redirect_is_not_retried_nor_followed(ws, redirecting, settings, status):
    """D1, D7: the SMS gateway answering a redirect is a permanent failure, not a transient one."""
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "sms": "contacts.messaging.gateway.GatewayTransport",
    }
    settings.SMS_GATEWAY_URL = f"{redirecting.url}/from-{status}"
    alert = alert_accept(workspace=ws, title="Task failed", recipients=["alice"], channels=["sms"])
    deliveries_process()
    (delivery,) = alert.deliveries.all()
    assert (delivery.status, delivery.reason_code, delivery.attempts) == (Delivery.Status.SEND_FAIL, "REDIRECT", 1)
    assert redirecting.requests == [("POST", f"/from-{status}")]


@pytest.mark.parametrize("language, expected", [("en", "redirect"), ("zh-hans", "重定向")])
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_I3_test_connectivity_reports_a_redirect(ws, sign_in, redirecting, status, language, expected):
    """I3: Test connectivity does not say delivered for a redirect; it names the Location."""
    WorkspaceWebhook.objects.create(workspace=ws, url=f"{redirecting.url}/from-{status}", secret="s3cret")
    client = sign_in("dw-admin")
    client.cookies["django_language"] = language
    html = client.post(reverse("alerts:webhook", args=[ws.pk]), {"action": "test"}).content.decode()
    assert "Test push delivered" not in html and "测试推送成功" not in html
    assert expected in html
    assert f"{redirecting.url}/final" in html
    assert str(status) in html
    assert redirecting.requests == [("POST", f"/from-{status}")]
