"""Delivery receipts of Alibaba Cloud SMS and Voice, pushed by the peer as the service pushes them
or asked for by the worker's sweep; a wrong-number receipt falls back to the alternate (D6, D10);
the admin banner and the health check show the providers' problems."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from alerts.dispatch import deliveries_process
from alerts.intake import alert_accept
from alerts.models import Delivery
from alerts.receipts import receipts_poll
from contacts.models import ProviderProblem
from contacts.provider_problems import provider_problem_record
from tests.aliyun.conftest import RECEIPTS_TOKEN
from tests.aliyun_peer import push_receipts

pytestmark = [pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning"), pytest.mark.django_db]
S = Delivery.Status
R = Delivery.ReceiptStatus
SMS_URL = f"/api/v1/receipts/aliyun/sms?token={RECEIPTS_TOKEN}"
VOICE_URL = f"/api/v1/receipts/aliyun/voice?token={RECEIPTS_TOKEN}"


def send(ws, channels=("sms",), to=("alice",)):
    alert = alert_accept(workspace=ws, title="Task failed", content="etl_daily", recipients=list(to), channels=channels)
    deliveries_process()
    return alert


def post(client, url, body):
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False)
    return client.post(url, data=data, content_type="application/json")


def test_D10_a_pushed_sms_receipt_marks_the_delivery_delivered(ws, aliyun, client):
    alert = send(ws)
    receipt = aliyun.sms.report(aliyun.sms.sent[0])
    answer = post(client, SMS_URL, [receipt])
    assert answer.status_code == 200 and answer.json() == {"code": 0, "msg": "成功"}
    delivery = alert.deliveries.get()
    assert (delivery.receipt_status, delivery.receipt_code) == (R.DELIVERED, "DELIVERED")
    expected = dt.datetime.strptime(receipt["report_time"], "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=dt.timezone(dt.timedelta(hours=8))
    )
    assert delivery.receipt_at == expected


def test_D10_a_failed_receipt_shows_the_operator_code_and_message(ws, aliyun, client):
    alert = send(ws)
    post(client, SMS_URL, [aliyun.sms.report(aliyun.sms.sent[0], success=False, err_code="MK:0005", err_msg="停机")])
    delivery = alert.deliveries.get()
    assert (delivery.receipt_status, delivery.receipt_code, delivery.receipt_message) == (
        R.NOT_DELIVERED,
        "MK:0005",
        "停机",
    )
    assert delivery.status == S.SEND_SUCCESS and alert.deliveries.count() == 1  # not a wrong number: no fallback


def test_D6_a_wrong_number_receipt_falls_back_to_the_alternate(ws, aliyun, client):
    alert = send(ws)
    post(client, SMS_URL, [aliyun.sms.report(aliyun.sms.sent[0], success=False, err_code="MK:0001", err_msg="空号")])
    deliveries_process()
    primary, alternate = alert.deliveries.order_by("pk")
    assert (primary.status, primary.reason_code, primary.receipt_status) == (
        S.SEND_FAIL,
        "INCORRECT_CONTACT",
        R.NOT_DELIVERED,
    )
    assert alternate.replaces == primary and alternate.role == Delivery.Role.ALTERNATE
    assert alternate.status == S.SEND_SUCCESS and alternate.receipt_status == R.ACCEPTED
    assert [s["PhoneNum"] for s in aliyun.sms.sent] == ["13900001111", "13800138000"]


def test_D6_a_wrong_number_call_receipt_falls_back(ws, aliyun, client):
    alert = send(ws, channels=("voice",))
    receipt = aliyun.voice.report(aliyun.voice.placed[0], status_code="200004", status_msg="空号", duration=0)
    assert post(client, VOICE_URL, [receipt]).status_code == 200
    deliveries_process()
    primary, alternate = alert.deliveries.order_by("pk")
    assert (primary.status, primary.receipt_code) == (S.SEND_FAIL, "200004")
    assert alternate.status == S.SEND_SUCCESS and len(aliyun.voice.placed) == 2


def test_a_call_receipt_heard_to_the_end_is_delivered(ws, aliyun, client):
    alert = send(ws, channels=("voice",))
    post(client, VOICE_URL, [aliyun.voice.report(aliyun.voice.placed[0])])
    delivery = alert.deliveries.get()
    assert (delivery.receipt_status, delivery.receipt_code) == (R.DELIVERED, "200000")


def test_duplicate_receipts_change_nothing(ws, aliyun, client):
    alert = send(ws)
    delivered = aliyun.sms.report(aliyun.sms.sent[0])
    post(client, SMS_URL, [delivered])
    first = alert.deliveries.get()
    wrong = aliyun.sms.report(aliyun.sms.sent[0], success=False, err_code="MK:0001", err_msg="空号")
    for body in ([delivered], [delivered, delivered], [wrong]):
        assert post(client, SMS_URL, body).status_code == 200
    again = alert.deliveries.get()
    assert (again.receipt_status, again.receipt_at, again.status) == (
        first.receipt_status,
        first.receipt_at,
        S.SEND_SUCCESS,
    )


def test_unknown_ids_are_ignored_and_logged(ws, aliyun, client, caplog):
    alert = send(ws)
    unknown = aliyun.sms.report(aliyun.sms.sent[0]) | {"biz_id": "123^0", "out_id": ""}
    assert post(client, SMS_URL, [unknown]).status_code == 200
    assert alert.deliveries.get().receipt_status == R.ACCEPTED
    assert "unknown sms message 123^0" in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        {"biz_id": "1^0", "success": True},  # an object, not an array
        [{"success": True}],  # no biz_id
        [{"biz_id": "1^0", "success": "yes"}],
    ],
)
def test_bad_receipt_bodies_are_400_and_nothing_is_stored(ws, aliyun, client, body):
    alert = send(ws)
    good = aliyun.sms.report(aliyun.sms.sent[0])
    if isinstance(body, list):
        body = [good, *body]  # the good one is not stored either
    answer = post(client, SMS_URL, body)
    assert answer.status_code == 400 and "error" in answer.json()
    assert alert.deliveries.get().receipt_status == R.ACCEPTED


def test_the_receipt_token_is_required_and_receipts_are_off_without_one(client, settings, db):
    settings.RECEIPTS_TOKEN = "right"
    assert post(client, "/api/v1/receipts/aliyun/sms", []).status_code == 403
    assert post(client, "/api/v1/receipts/aliyun/sms?token=wrong", []).status_code == 403
    # A NUL in the token (found by schemathesis) is a wrong token, answered in JSON like any other.
    answer = post(client, "/api/v1/receipts/aliyun/sms?token=ri%00ght", [])
    assert answer.status_code == 403 and "token" in answer.json()["error"]
    assert post(client, "/api/v1/receipts/aliyun/voice?token=right", []).status_code == 200
    assert client.get("/api/v1/receipts/aliyun/sms?token=right").status_code == 405
    settings.RECEIPTS_TOKEN = ""
    answer = post(client, "/api/v1/receipts/aliyun/sms?token=", [])
    assert answer.status_code == 404 and "RECEIPTS_TOKEN" in answer.json()["error"]


# ---- poll


def test_D10_receipts_not_pushed_are_asked_for_after_a_while(ws, aliyun, settings):
    alert = send(ws, channels=("sms", "voice"))
    aliyun.voice.report(aliyun.voice.placed[0], status_code="200005", status_msg="用户无法接通", duration=0)
    assert receipts_poll() == 0  # too early: RECEIPT_POLL_AFTER_SECONDS after sending
    later = timezone.now() + dt.timedelta(seconds=settings.RECEIPT_POLL_AFTER_SECONDS + 1)
    assert receipts_poll(now=later) == 2
    sms, voice = alert.deliveries.order_by("channel")
    assert (sms.channel, sms.receipt_status, sms.receipt_code) == ("sms", R.DELIVERED, "DELIVERED")
    assert (voice.receipt_status, voice.receipt_code, voice.receipt_message) == (
        R.NOT_DELIVERED,
        "200005",
        "用户无法接通",
    )
    assert receipts_poll(now=later + dt.timedelta(hours=1)) == 0  # nothing left to ask for
    assert len(aliyun.calls_to("QuerySendDetails")) == 1 and len(aliyun.calls_to("QueryCallDetailByCallId")) == 1


def test_D6_a_polled_wrong_number_receipt_falls_back(ws, aliyun, settings):
    alert = send(ws)
    aliyun.sms.report(aliyun.sms.sent[0], success=False, err_code="MK:0001", err_msg="空号")
    later = timezone.now() + dt.timedelta(seconds=settings.RECEIPT_POLL_AFTER_SECONDS + 1)
    assert receipts_poll(now=later) == 1
    deliveries_process()
    primary, alternate = alert.deliveries.order_by("pk")
    assert primary.reason_code == "INCORRECT_CONTACT" and alternate.status == S.SEND_SUCCESS


def test_polling_waits_for_a_pending_receipt_and_stops_at_the_deadline(ws, aliyun, settings):
    alert = send(ws)
    aliyun.sms.sent[0]["SendStatus"] = 1  # waiting for the operator's receipt
    after = dt.timedelta(seconds=settings.RECEIPT_POLL_AFTER_SECONDS + 1)
    assert receipts_poll(now=timezone.now() + after) == 0
    assert alert.deliveries.get().receipt_status == R.ACCEPTED
    past_deadline = timezone.now() + dt.timedelta(seconds=settings.RECEIPT_POLL_DEADLINE_SECONDS + 1)
    aliyun.sms.report(aliyun.sms.sent[0])
    assert receipts_poll(now=past_deadline) == 0
    assert len(aliyun.calls_to("QuerySendDetails")) == 1


def test_a_provider_that_cannot_answer_is_asked_again_later(ws, aliyun, settings):
    alert = send(ws)
    aliyun.sms.fail_next("ServiceUnavailable", status=503)
    now = timezone.now() + dt.timedelta(seconds=settings.RECEIPT_POLL_AFTER_SECONDS + 1)
    assert receipts_poll(now=now) == 0
    later = now + dt.timedelta(seconds=settings.RECEIPT_POLL_AFTER_SECONDS + 1)
    assert receipts_poll(now=later) == 1 and alert.deliveries.get().receipt_status == R.DELIVERED


# ---- support staff see the providers' problems


def test_the_admin_index_shows_an_open_provider_problem(client, django_user_model, db):
    staff = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(staff)
    assert b"provider-problems" not in client.get("/admin/").content
    provider_problem_record(channel="sms", provider="aliyun", code="isv.AMOUNT_NOT_ENOUGH", message="账户余额不足")
    page = client.get("/admin/").content.decode()
    assert "provider-problems" in page and "isv.AMOUNT_NOT_ENOUGH" in page and "账户余额不足" in page


def test_the_health_check_answers_503_while_a_provider_problem_is_open(client, db):
    assert client.get("/health").json() == {"status": "ok"}
    provider_problem_record(channel="voice", provider="aliyun", code="isv.DISPLAY_NUMBER_ILLEGAL", message="x")
    provider_problem_record(channel="voice", provider="aliyun", code="isv.DISPLAY_NUMBER_ILLEGAL", message="x")
    answer = client.get("/health")
    assert answer.status_code == 503 and answer.json()["problems"][0]["code"] == "isv.DISPLAY_NUMBER_ILLEGAL"
    assert ProviderProblem.objects.get().occurrences == 2


def test_manage_py_check_warns_of_an_open_provider_problem(db):
    from django.core.checks import run_checks

    provider_problem_record(channel="sms", provider="aliyun", code="isv.OUT_OF_SERVICE", message="业务停机")
    warnings = [w for w in run_checks(databases=["default"]) if w.id == "contacts.W002"]
    assert len(warnings) == 1 and "isv.OUT_OF_SERVICE" in warnings[0].msg


def test_a_missing_sign_name_is_a_system_check_error(settings):
    from contacts.checks import aliyun_settings_check

    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "sms": "contacts.messaging.aliyun.AliyunSmsTransport",
    }
    settings.ALIBABA_CLOUD_SMS_SIGN_NAME = ""
    settings.ALIBABA_CLOUD_SMS_TEMPLATE_ALERT = "SMS_1"
    assert [e.id for e in aliyun_settings_check()] == ["contacts.E002"]


@pytest.mark.django_db(transaction=True)
def test_push_receipts_over_http_reaches_the_endpoint(ws, aliyun, live_server):
    """The peer pushes to the console over HTTP as the service does."""
    alert = send(ws)
    status, body = push_receipts(live_server.url + SMS_URL, [aliyun.sms.report(aliyun.sms.sent[0])])
    assert (status, json.loads(body)) == (200, {"code": 0, "msg": "成功"})
    assert alert.deliveries.get().receipt_status == R.DELIVERED
