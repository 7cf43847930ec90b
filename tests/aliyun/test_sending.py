"""Text messages and calls through the official Alibaba Cloud SDKs against the local peer (which
checks each V3 signature and the parameters): success, each error class, the operator's problems
shown to support staff, template variables kept within their lengths (D1, D2, D6, D7)."""

import json

import pytest

from alerts.dispatch import deliveries_process
from alerts.intake import alert_accept
from alerts.models import Delivery
from contacts.messaging import Message
from contacts.messaging.aliyun import (
    ERRORS,
    VARIABLE_MAX_LENGTH,
    AliyunSmsTransport,
    service_number,
    template_variables,
    variable_shorten,
)
from contacts.messaging.failures import IncorrectContact, PermanentFailure, TransientFailure
from contacts.models import ContactMethod, ProviderProblem
from tests.aliyun.conftest import SHOW_NUMBER, SIGN_NAME, SMS_ACTIVATION, SMS_ALERT, TTS_ALERT

pytestmark = [pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning"), pytest.mark.django_db]
S = Delivery.Status
R = Delivery.ReceiptStatus


def run(ws, to, channels, title="Task failed"):
    alert = alert_accept(workspace=ws, title=title, content="etl_daily", recipients=to, channels=channels)
    deliveries_process()
    return list(alert.deliveries.order_by("pk"))


def test_D1_a_text_message_goes_out_through_send_sms_signed_and_checked(ws, aliyun):
    [delivery] = run(ws, ["alice"], ["sms"])
    [call] = aliyun.calls_to("SendSms")
    assert call.access_key_id  # the peer verified the V3 signature of the credentials chain's key
    params = call.params
    assert (params["PhoneNumbers"], params["SignName"], params["TemplateCode"]) == ("13900001111", SIGN_NAME, SMS_ALERT)
    assert params["OutId"] == str(delivery.pk)
    variables = json.loads(params["TemplateParam"])
    assert set(variables) == {"status", "title", "workspace", "time"}
    assert variables["title"] == "Task failed" and variables["status"] == "告警"  # a mainland number reads Chinese (D3)
    sent = aliyun.sms.sent[0]
    assert sent["Content"].startswith(f"【{SIGN_NAME}】DataWorks告警（告警）：Task failed，工作空间demo_workspace")
    assert (delivery.status, delivery.provider_message_id) == (S.SEND_SUCCESS, sent["BizId"])
    assert delivery.receipt_status == R.ACCEPTED


def test_D2_a_call_goes_out_through_single_call_by_tts_twice(ws, aliyun):
    [delivery] = run(ws, ["alice"], ["voice"])
    [call] = aliyun.calls_to("SingleCallByTts")
    params = call.params
    assert (params["CalledNumber"], params["CalledShowNumber"], params["TtsCode"]) == (
        "13900001111",
        SHOW_NUMBER,
        TTS_ALERT,
    )
    assert (params["PlayTimes"], params["OutId"]) == ("2", str(delivery.pk))
    assert "Task failed" in aliyun.voice.placed[0]["Text"]
    assert delivery.provider_message_id == aliyun.voice.placed[0]["CallId"] and delivery.receipt_status == R.ACCEPTED


def test_C7_an_activation_message_uses_the_activation_template_with_the_link_whole(aliyun, demo):
    from contacts.activation import activation_send

    alice = demo["principals"][("intl", "alice")]
    method = ContactMethod.objects.get(principal_id=alice.pk, channel=ContactMethod.Channel.PHONE)
    activation_send(method)
    params = aliyun.calls_to("SendSms")[-1].params
    assert params["TemplateCode"] == SMS_ACTIVATION and "OutId" not in params
    variables = json.loads(params["TemplateParam"])
    assert variables["link"].startswith("activate/") and len(variables["link"]) > 20
    assert "http" not in variables["link"]  # the site's address is in the approved template


def test_D7_flow_control_is_retried_then_sent(ws, aliyun):
    aliyun.sms.fail_next("isv.BUSINESS_LIMIT_CONTROL")
    aliyun.sms.fail_next("Throttling.User")
    [delivery] = run(ws, ["alice"], ["sms"])
    assert delivery.status == S.SEND_SUCCESS and delivery.attempts == 3
    assert len(aliyun.calls_to("SendSms")) == 3 and len(aliyun.sms.sent) == 1


def test_D7_the_service_unavailable_is_transient(aliyun):
    aliyun.sms.fail_next("ServiceUnavailable", status=503)
    with pytest.raises(TransientFailure) as raised:
        AliyunSmsTransport().send(Message(channel="sms", to="+8613900001111", language="zh-hans", kind="alert"))
    assert raised.value.code == "ServiceUnavailable"


def test_D7_a_read_timeout_is_transient(aliyun, settings):
    settings.ALIBABA_CLOUD_READ_TIMEOUT_SECONDS = 0.2
    aliyun.delay = 1.0
    with pytest.raises(TransientFailure) as raised:
        AliyunSmsTransport().send(Message(channel="sms", to="+8613900001111", language="zh-hans", kind="alert"))
    assert raised.value.code in ("TIMEOUT", "CONNECTION")


def test_D6_a_refused_number_falls_back_to_the_alternate(ws, aliyun):
    aliyun.sms.fail_next("isv.MOBILE_NUMBER_ILLEGAL")
    primary, alternate = run(ws, ["alice"], ["sms"])
    assert (primary.status, primary.reason_code) == (S.SEND_FAIL, "isv.MOBILE_NUMBER_ILLEGAL")
    assert alternate.replaces == primary and alternate.status == S.SEND_SUCCESS
    assert [s["PhoneNum"] for s in aliyun.sms.sent] == ["13800138000"]
    assert not ProviderProblem.objects.exists()


def test_an_unapproved_sign_name_fails_and_opens_a_provider_problem(ws, aliyun):
    aliyun.sms.sign_names = {"别的签名"}
    [delivery] = run(ws, ["alice"], ["sms"])
    assert (delivery.status, delivery.reason_code) == (S.SEND_FAIL, "isv.SMS_SIGNATURE_ILLEGAL")
    assert delivery.attempts == 1  # neither retried nor fallen back from
    problem = ProviderProblem.objects.get(channel="sms")
    assert (problem.provider, problem.code) == ("aliyun", "isv.SMS_SIGNATURE_ILLEGAL")
    aliyun.sms.sign_names = {SIGN_NAME}  # fixed: the next message taken clears it
    run(ws, ["alice"], ["sms"])
    assert not ProviderProblem.objects.exists()


@pytest.mark.parametrize(
    "code, status",
    [
        ("isv.AMOUNT_NOT_ENOUGH", None),
        ("isv.OUT_OF_SERVICE", None),
        ("isv.SMS_TEMPLATE_ILLEGAL", None),
        ("isp.RAM_PERMISSION_DENY", None),
        ("InvalidAccessKeyId.NotFound", 404),
    ],
)
def test_operator_problems_fail_the_message_with_their_code(aliyun, code, status):
    aliyun.sms.fail_next(code, status=status)
    with pytest.raises(PermanentFailure) as raised:
        AliyunSmsTransport().send(Message(channel="sms", to="+8613900001111", language="zh-hans", kind="alert"))
    assert raised.value.code == code and code in raised.value.text
    assert ProviderProblem.objects.get(channel="sms").code == code


def test_a_wrong_secret_is_an_operator_problem(aliyun, monkeypatch):
    monkeypatch.setattr("alibabacloud_credentials.utils.auth_util.environment_access_key_secret", "not-the-secret")
    with pytest.raises(PermanentFailure) as raised:
        AliyunSmsTransport().send(Message(channel="sms", to="+8613900001111", language="zh-hans", kind="alert"))
    assert raised.value.code == "SignatureDoesNotMatch"
    assert ProviderProblem.objects.get(channel="sms").code == "SignatureDoesNotMatch"


def test_a_missing_template_setting_is_an_operator_problem_without_a_call(aliyun, settings):
    settings.ALIBABA_CLOUD_SMS_TEMPLATE_ALERT = ""
    with pytest.raises(PermanentFailure) as raised:
        AliyunSmsTransport().send(Message(channel="sms", to="+8613900001111", language="zh-hans", kind="test"))
    assert raised.value.code == "NOT_CONFIGURED" and "ALIBABA_CLOUD_SMS_TEMPLATE_ALERT" in raised.value.text
    assert aliyun.calls == [] and ProviderProblem.objects.filter(channel="sms").exists()


def test_voice_errors_are_mapped_too(ws, aliyun):
    aliyun.voice.show_numbers = {"01000000000"}
    [delivery] = run(ws, ["alice"], ["voice"])
    assert delivery.reason_code == "isv.DISPLAY_NUMBER_ILLEGAL"
    assert ProviderProblem.objects.get(channel="voice").code == "isv.DISPLAY_NUMBER_ILLEGAL"
    aliyun.voice.fail_next("isv.MOBILE_NUMBER_ILLEGAL")
    aliyun.voice.show_numbers = {SHOW_NUMBER}
    primary, alternate = run(ws, ["alice"], ["voice"])
    assert primary.status == S.SEND_FAIL and alternate.role == Delivery.Role.ALTERNATE
    assert alternate.status == S.SEND_SUCCESS and not ProviderProblem.objects.filter(channel="voice").exists()


def test_no_credentials_is_an_operator_problem(aliyun, monkeypatch):
    monkeypatch.setattr("alibabacloud_credentials.utils.auth_util.environment_access_key_id", None)
    monkeypatch.setattr("alibabacloud_credentials.utils.auth_util.environment_credentials_file", "/nonexistent")
    with pytest.raises(PermanentFailure) as raised:
        AliyunSmsTransport().send(Message(channel="sms", to="+8613900001111", language="zh-hans", kind="alert"))
    assert raised.value.code == "NO_CREDENTIALS" and aliyun.calls == []


def test_unknown_codes_fail_the_message_and_5xx_ones_are_retried(aliyun):
    message = Message(channel="sms", to="+8613900001111", language="zh-hans", kind="alert")
    aliyun.sms.fail_next("isv.SOMETHING_NEW")
    with pytest.raises(PermanentFailure):
        AliyunSmsTransport().send(message)
    aliyun.sms.fail_next("Some.ServerFault", status=502)
    with pytest.raises(TransientFailure):
        AliyunSmsTransport().send(message)
    assert not ProviderProblem.objects.exists()


def test_every_mapped_code_is_in_the_readme():
    from django.conf import settings

    readme = (settings.BASE_DIR / "README.md").read_text()
    missing = [code for code in ERRORS if f"`{code}`" not in readme]
    assert not missing, missing


# ---- template variables


def test_long_variables_are_shortened_with_an_ellipsis_never_refused(ws, aliyun):
    title = "数据同步任务失败：" + "很长的任务名称" * 20
    [delivery] = run(ws, ["alice"], ["sms", "voice"], title=title)[:1]
    assert delivery.status == S.SEND_SUCCESS
    for action, name in (("SendSms", "TemplateParam"), ("SingleCallByTts", "TtsParam")):
        variables = json.loads(aliyun.calls_to(action)[-1].params[name])
        assert len(variables["title"]) == VARIABLE_MAX_LENGTH and variables["title"].endswith("…")
        assert variables["title"].startswith("数据同步任务失败：")


def test_variable_shorten_keeps_short_text_and_one_line():
    assert variable_shorten("disk  full\non db1") == "disk full on db1"
    assert variable_shorten("x" * 35) == "x" * 35
    assert variable_shorten("x" * 36) == "x" * 34 + "…"
    assert json.loads(template_variables({"link": "a" * 80, "title": "b" * 80})) == {
        "link": "a" * 80,
        "title": "b" * 34 + "…",
    }


@pytest.mark.parametrize(
    "to, mobile_only, expected",
    [("+8613900001111", True, "13900001111"), ("+85291234567", False, "85291234567")],
)
def test_numbers_are_written_as_the_services_take_them(to, mobile_only, expected):
    assert service_number(to, mobile_only=mobile_only) == expected


def test_calls_go_only_to_mainland_mobiles():
    with pytest.raises(PermanentFailure):
        service_number("+85291234567", mobile_only=True)
    with pytest.raises(IncorrectContact):
        service_number("not a number", mobile_only=False)
