"""From a monitoring system's alert to "delivered to the phone" in Alert History, with
SMS_PROVIDER=aliyun VOICE_PROVIDER=aliyun and the endpoints pointed at the local peer: the alert
goes out through the official SDKs, the receipt arrives by push over HTTP (D1, D6, D10)."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from alerts.api_tokens import api_token_create
from alerts.dispatch import deliveries_process
from alerts.models import Delivery
from tests.aliyun.conftest import RECEIPTS_TOKEN
from tests.aliyun_peer import push_receipts

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")
R = Delivery.ReceiptStatus


def test_the_provider_settings_choose_the_alibaba_cloud_transports():
    environment = {**os.environ, "SMS_PROVIDER": "aliyun", "VOICE_PROVIDER": "aliyun"}
    code = "from django.conf import settings; import json; print(json.dumps(settings.MESSAGING_TRANSPORTS))"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=environment | {"DJANGO_SETTINGS_MODULE": "config.settings"},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    transports = json.loads(out)
    assert transports["sms"] == "contacts.messaging.aliyun.AliyunSmsTransport"
    assert transports["voice"] == "contacts.messaging.aliyun.AliyunVoiceTransport"


@pytest.mark.django_db(transaction=True)
def test_D10_an_alert_to_a_mainland_mobile_is_delivered_to_the_phone(aliyun, demo, live_server, sign_in):
    ws = demo["workspaces"]["demo_workspace"]
    _token, raw = api_token_create(workspace=ws, name="monitoring")
    client = sign_in("owner")
    answer = client.post(
        "/api/v1/alerts",
        data={"title": "磁盘已满", "recipients": ["alice"], "channels": ["sms", "voice"]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert answer.status_code == 202
    alert_id = answer.json()["id"]
    deliveries_process()  # the worker
    assert [s["PhoneNum"] for s in aliyun.sms.sent] == ["13900001111"]
    assert [c["CalledNumber"] for c in aliyun.voice.placed] == ["13900001111"]

    receipts = f"{live_server.url}/api/v1/receipts/aliyun/%s?token={RECEIPTS_TOKEN}"
    status, body = push_receipts(receipts % "sms", [aliyun.sms.report(aliyun.sms.sent[0])])
    assert (status, json.loads(body)) == (200, {"code": 0, "msg": "成功"})
    call_report = aliyun.voice.report(aliyun.voice.placed[0], status_code="200002", status_msg="用户占线")
    assert push_receipts(receipts % "voice", [call_report])[0] == 200

    detail = client.get(f"/api/v1/alerts/{alert_id}", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    by_channel = {d["channel"]: d for d in detail["deliveries"]}
    assert by_channel["sms"]["receipt_status"] == "delivered" and by_channel["sms"]["receipt_at"]
    assert by_channel["sms"]["provider_message_id"] == aliyun.sms.sent[0]["BizId"]
    assert (by_channel["voice"]["receipt_status"], by_channel["voice"]["receipt_code"]) == ("not_delivered", "200002")

    page = client.get(reverse("alerts:alert_detail", args=[ws.pk, alert_id])).content.decode()
    assert "Delivered to the phone" in page and "Not delivered" in page and "用户占线" in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = client.get(reverse("alerts:alert_detail", args=[ws.pk, alert_id])).content.decode()
    assert "已送达手机" in page and "回执" in page
