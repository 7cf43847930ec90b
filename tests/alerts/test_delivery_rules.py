"""Who gets an alert, on which channel and route, in which language (rules D1, D2, D3, D4, D5, C10)."""

import email
import email.header
import hashlib
import hmac

import pytest
from django.core.exceptions import ValidationError

from alerts.dispatch import deliveries_process
from alerts.intake import alert_accept
from alerts.models import Alert, Delivery
from contacts.models import ContactMethod, Principal

S = Delivery.Status


def send(ws, to, channels, **kwargs):
    alert = alert_accept(
        workspace=ws,
        title="Task failed",
        content="Node etl_daily failed",
        rule="etl rule",
        severity="critical",
        recipients=to,
        channels=channels,
        **kwargs,
    )
    deliveries_process()
    return {(d.recipient_name, d.channel, d.role): d for d in alert.deliveries.all()}


def test_D1_email_sms_voice_reach_a_mainland_contact(ws, smtp, http_peer):
    result = send(ws, ["alice"], ["email", "sms", "voice"])
    assert {d.status for d in result.values()} == {S.SEND_SUCCESS}
    assert smtp.messages[0][0] == ["alice@example.com"]
    assert [b["to"] for b in http_peer.bodies("/sms")] == ["+8613900001111"]
    assert [b["channel"] for b in http_peer.bodies("/voice")] == ["voice"]


def test_D1_D4_webhook_channel_posts_to_the_workspace_webhook(ws, webhook, http_peer):
    result = send(ws, ["alice"], ["webhook"])
    (delivery,) = result.values()
    assert delivery.status == S.SEND_SUCCESS and delivery.role == Delivery.Role.WORKSPACE
    body = http_peer.bodies("/hook")[0]
    assert body["message"]["title"] == "Task failed" and body["message"]["remind_name"] == "etl rule"


def test_D2_phone_calls_only_to_mainland_mobiles(ws, http_peer, demo):
    landline = Principal.objects.get(account__name="demo-intl", name="developer")
    Principal.objects.filter(pk=landline.pk).update(phone="+861012345678")
    ContactMethod.objects.create(principal=landline, channel="phone", status="activated")
    result = send(ws, ["developer"], ["voice"])
    (delivery,) = result.values()
    assert delivery.status == S.SEND_FAIL and delivery.reason_code == "NOT_MOBILE"
    assert "not a mobile" in delivery.reason
    assert http_peer.bodies("/voice") == []


@pytest.mark.parametrize("name", ["bob", "carol"])  # Hong Kong is not the mainland; nor is the US
def test_D2_D4_calls_and_texts_outside_the_mainland_go_through_the_webhook(ws, webhook, http_peer, name):
    result = send(ws, [name], ["sms", "voice"])
    assert {d.route for d in result.values()} == {Delivery.Route.WEBHOOK}
    assert {d.status for d in result.values()} == {S.SEND_SUCCESS}
    assert http_peer.bodies("/sms") == [] and http_peer.bodies("/voice") == []
    pushes = http_peer.bodies("/hook")
    assert {p["recipient"]["channel"] for p in pushes} == {"sms", "voice"}
    number = Principal.objects.get(name=name).phone
    assert {p["recipient"]["number"] for p in pushes} == {str(number)}


def test_D4_push_is_signed_with_the_webhook_secret(ws, webhook, http_peer):
    send(ws, ["bob"], ["sms"])
    request = http_peer.requests[-1]
    expected = "sha256=" + hmac.new(b"s3cret", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Signature"] == expected
    payload = http_peer.bodies("/hook")[0]
    assert set(payload["message"]) >= {"title", "remind_name", "remind_type", "occur_time", "more_information"}
    assert payload["recipient"]["language"] == "en"


def test_D4_without_a_webhook_the_delivery_fails_with_that_reason(ws):
    result = send(ws, ["bob"], ["sms"])
    (delivery,) = result.values()
    assert delivery.status == S.SEND_FAIL and delivery.reason_code == "NO_WEBHOOK"
    assert "custom webhook" in delivery.reason


def test_D3_international_account_mainland_number_gets_chinese_sms(ws, smtp, http_peer):
    result = send(ws, ["alice"], ["sms", "email"])
    assert result[("Alice Wang", "sms", "primary")].language == "zh-hans"
    assert result[("Alice Wang", "email", "primary")].language == "en"  # Auto on the international site
    assert "DataWorks" in http_peer.bodies("/sms")[0]["body"]
    assert http_peer.bodies("/sms")[0]["language"] == "zh-hans"


def test_D3_china_site_auto_is_chinese(demo, smtp):
    cn_ws = demo["workspaces"]["cn_workspace"]
    dev = Principal.objects.get(account__name="demo-cn", name="cn-dev")
    Principal.objects.filter(pk=dev.pk).update(email="dev@example.cn")
    ContactMethod.objects.create(principal=dev, channel="email", status="activated")
    result = send(cn_ws, ["cn-dev"], ["email"])
    assert next(iter(result.values())).language == "zh-hans"
    message = email.message_from_bytes(smtp.messages[0][2])
    assert "告警" in str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert "工作空间" in message.get_payload(decode=True).decode()


def test_D3_explicit_language_is_used(ws, smtp):
    result = send(ws, ["carol"], ["email"])
    assert next(iter(result.values())).language == "en"


def test_D5_one_language_for_every_alert_source(ws, smtp):
    Principal.objects.filter(name="carol").update(language="zh-hans")
    console = send(ws, ["carol"], ["email"], source="management_center")
    operation = send(ws, ["carol"], ["email"], source="operation_center")
    assert next(iter(console.values())).language == next(iter(operation.values())).language == "zh-hans"


def test_C10_only_activated_methods_receive_alerts(ws, smtp):
    ContactMethod.objects.filter(principal__name="alice", channel="email").update(status="waiting")
    result = send(ws, ["alice"], ["email"])
    (delivery,) = result.values()
    assert delivery.status == S.SEND_FAIL and delivery.reason_code == "NOT_ACTIVATED"
    assert smtp.messages == []


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"recipients": ["nobody"], "channels": ["email"]}, "recipients"),
        ({"recipients": ["outsider"], "channels": ["email"]}, "recipients"),  # not a member of this workspace
        ({"recipients": ["cn-dev"], "channels": ["email"]}, "recipients"),  # another account
        ({"recipients": ["alice"], "channels": ["pigeon"]}, "channels"),
        ({"recipients": ["alice"], "channels": []}, "channels"),
        ({"recipients": [], "channels": ["email"]}, "recipients"),
    ],
)
def test_E1_bad_alert_is_refused_and_nothing_is_stored(ws, kwargs, field):
    with pytest.raises(ValidationError) as caught:
        alert_accept(workspace=ws, title="x", **kwargs)
    assert field in caught.value.message_dict
    assert not Alert.objects.exists() and not Delivery.objects.exists()


def test_D1_roles_by_name_or_prefix(ws, smtp):
    result = send(ws, ["role:OnCallBackup"], ["email"])
    assert next(iter(result.values())).recipient_name == "OnCallBackup"
