"""Text messages and phone calls through Alibaba Cloud (SMS_PROVIDER=aliyun, VOICE_PROVIDER=aliyun),
with the official SDKs: Short Message Service (Dysmsapi 2017-05-25: SendSms, QuerySendDetails) and
Voice Messaging Service (Dyvmsapi 2017-05-25: SingleCallByTts, QueryCallDetailByCallId). Nothing
else in the product imports these SDKs; their clients are configured by contacts.cloud.sdk_config
(credentials chain, endpoint, explicit timeouts, no retries by the SDK).

Mainland text messages and calls carry no free text: the service sends templates the operator had
approved, filled with variables (Message.params). Each variable is kept within the documented
length and shortened with an ellipsis, never refused; an activation link is never shortened.

What every answer means is decided here, from the documented error codes (ERRORS):
- a wrong number is an incorrect contact (IncorrectContact): the alert falls back (D6);
- flow control and the service's own faults are transient (TransientFailure): retried (D7);
- a set-up only the operator can fix (AccessKey, sign name, template, show number, balance,
  permissions) fails the message (PermanentFailure) and opens a provider problem that support staff
  see at once (contacts.provider_problems), until the next message the provider takes;
- anything else wrong with this one message fails it (PermanentFailure).

Receipts: the service pushes SmsReport / VoiceReport arrays (parsed here by sms_report_receipt and
voice_report_receipt) or is asked for them (Transport.receipt_query).
"""

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any, Literal
from zoneinfo import ZoneInfo

import phonenumbers
from alibabacloud_credentials.exceptions import CredentialException
from alibabacloud_dysmsapi20170525 import models as sms_models
from alibabacloud_dysmsapi20170525.client import Client as SmsClient
from alibabacloud_dyvmsapi20170525 import models as voice_models
from alibabacloud_dyvmsapi20170525.client import Client as VoiceClient
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from django.conf import settings
from Tea.exceptions import TeaException, UnretryableException

from ..cloud import sdk_config
from ..phones import phone_in_mainland, phone_is_mainland_mobile
from ..provider_problems import provider_problem_clear, provider_problem_record
from .base import Message, Receipt, Transport
from .failures import DeliveryError, IncorrectContact, PermanentFailure, TransientFailure

logger = logging.getLogger(__name__)

PROVIDER = "aliyun"
# The service's clock: receipts and QuerySendDetails' SendDate are Beijing time.
BEIJING = ZoneInfo("Asia/Shanghai")
# SMS template variables (other than verification codes) hold at most 35 characters each; the
# voice templates' variables are kept to the same length (TtsParam as a whole stays far below its limit).
VARIABLE_MAX_LENGTH = 35
ELLIPSIS = "…"
# Variables that are never shortened: a shortened link would not work.
UNSHORTENED = {"link"}
# A call reads the message twice (PlayTimes 1-3).
PLAY_TIMES = 2
# QueryCallDetailByCallId's ProdId of voice notifications (语音通知).
VOICE_NOTIFICATION_PRODUCT_ID = 11000000300006

Kind = Literal["incorrect", "transient", "operator", "message"]

# Every error code of SendSms and SingleCallByTts (and of the OpenAPI gateway in front of them) that
# an operator can meet: what it means, and what happens. README's error-code table lists the same.
ERRORS: dict[str, Kind] = {
    # The number is wrong: incorrect contact, the alert goes to the alternate alert contact.
    "isv.MOBILE_NUMBER_ILLEGAL": "incorrect",
    # Flow control and the service's own faults: retried with backoff.
    "isv.BUSINESS_LIMIT_CONTROL": "transient",
    "isp.SYSTEM_ERROR": "transient",
    "isp.GATEWAY_ERROR": "transient",
    "Throttling": "transient",
    "Throttling.User": "transient",
    "Throttling.Api": "transient",
    "Throttling.Resource": "transient",
    "ServiceUnavailable": "transient",
    "InternalError": "transient",
    "SignatureNonceUsed": "transient",  # a retry signs with a new nonce
    # The operator's set-up: the message fails and a provider problem is shown to support staff.
    "isv.SMS_SIGNATURE_ILLEGAL": "operator",
    "isv.SMS_SIGN_ILLEGAL": "operator",
    "isv.SIGN_STATE_ILLEGAL": "operator",
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": "operator",
    "isv.SMS_TEMPLATE_ILLEGAL": "operator",
    "isv.TEMPLATE_MISSING_PARAMETERS": "operator",
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED": "operator",
    "isv.EXTEND_CODE_ERROR": "operator",
    "isv.TTS_TEMPLATE_ILLEGAL": "operator",
    "isv.DISPLAY_NUMBER_ILLEGAL": "operator",
    "isv.AMOUNT_NOT_ENOUGH": "operator",
    "isv.OUT_OF_SERVICE": "operator",
    "isv.PRODUCT_UN_SUBSCRIPT": "operator",
    "isv.PRODUCT_UNSUBSCRIBE": "operator",
    "isv.ACCOUNT_NOT_EXISTS": "operator",
    "isv.ACCOUNT_ABNORMAL": "operator",
    "isv.DENY_IP_RANGE": "operator",
    "isv.DAY_LIMIT_CONTROL": "operator",
    "isv.MONTH_LIMIT_CONTROL": "operator",
    "isp.RAM_PERMISSION_DENY": "operator",
    "InvalidAccessKeyId.NotFound": "operator",
    "InvalidAccessKeyId.Inactive": "operator",
    "SignatureDoesNotMatch": "operator",
    "IncompleteSignature": "operator",
    "InvalidTimeStamp.Expired": "operator",  # the server's clock is wrong
    "Forbidden.RAM": "operator",
    "Forbidden.AccessKeyDisabled": "operator",
    "NoPermission": "operator",
    "NO_CREDENTIALS": "operator",  # the credentials chain found no AccessKey (ours)
    "NOT_CONFIGURED": "operator",  # a sign name, template or show number setting is empty (ours)
    # This one message cannot be sent as it is: it fails, nothing else happens.
    "isv.SMS_CONTENT_ILLEGAL": "message",
    "isv.BLACK_KEY_CONTROL_LIMIT": "message",
    "isv.PARAM_NOT_SUPPORT_URL": "message",
    "isv.PARAM_LENGTH_LIMIT": "message",
    "isv.INVALID_JSON_PARAM": "message",
    "isv.INVALID_PARAMETERS": "message",
    "isv.TEMPLATE_PARAMS_ILLEGAL": "message",
    "isv.MOBILE_COUNT_OVER_LIMIT": "message",
}
FAILURES: dict[Kind, type[DeliveryError]] = {
    "incorrect": IncorrectContact,
    "transient": TransientFailure,
    "operator": PermanentFailure,
    "message": PermanentFailure,
}

# Receipt codes saying the number does not exist or is not a valid subscriber's: incorrect contact
# information (D6), as a refused number is when sending.
SMS_WRONG_NUMBER_RECEIPTS = {
    "isv.MOBILE_NUMBER_ILLEGAL",
    "MK:0001",  # no such subscriber
    "MN:0001",
    "DB:0101",  # wrong mobile number
    "CB:0001",
    "CB:0053",
    "MI:0073",  # empty number
    "MI:0210",
}
VOICE_DELIVERED = {"200000", "200001"}  # listened to the end; hung up before the end
VOICE_WRONG_NUMBER = {"200004"}  # nonexistent or invalid number
# Call states that are not an outcome yet (calling, ringing, answered, in the call).
VOICE_PENDING = {"200101", "200201", "200102", "200103"}


def variable_shorten(value: object, limit: int = VARIABLE_MAX_LENGTH) -> str:
    """`value` on one line, at most `limit` characters, its end replaced by an ellipsis when longer."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def template_variables(params: dict[str, str]) -> str:
    """TemplateParam / TtsParam: a JSON object of string values within the documented lengths."""
    values = {name: str(value) if name in UNSHORTENED else variable_shorten(value) for name, value in params.items()}
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def service_number(to: str, *, mobile_only: bool) -> str:
    """The number as the services take it: a mainland number as its 11 national digits, any
    other as country code and number, digits only (no +)."""
    try:
        number = phonenumbers.parse(to, None)
    except phonenumbers.NumberParseException:
        raise IncorrectContact(f"{to} is not a phone number", code="isv.MOBILE_NUMBER_ILLEGAL") from None
    if mobile_only and not phone_is_mainland_mobile(number):
        raise PermanentFailure(
            f"Phone calls go only to Chinese mainland mobile numbers, not to {to}", code="NOT_MOBILE"
        )
    if phone_in_mainland(number):
        return str(number.national_number)
    return f"{number.country_code}{number.national_number}"


def beijing_time(text: object) -> dt.datetime | None:
    """`2026-11-27 10:00:00` (Beijing time, as receipts write it) as an aware datetime."""
    try:
        return dt.datetime.strptime(str(text or "").strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except ValueError:
        return None


def _failure(channel: str, code: str, message: str, *, status: int | None = None) -> DeliveryError:
    """The named failure of an error answer; an operator problem is recorded on the way."""
    kind = ERRORS.get(code)
    if kind is None:
        kind = "transient" if status is not None and status >= 500 else "message"
    service = "SMS" if channel == "sms" else "Voice"
    text = f"Alibaba Cloud {service} answered {code}: {message}".strip().rstrip(":")
    if kind == "operator":
        provider_problem_record(channel=channel, provider=PROVIDER, code=code, message=text)
        logger.error("Alibaba Cloud %s: the operator's set-up needs attention: %s", service, text)
    return FAILURES[kind](text, code=code, details={"provider": PROVIDER, "kind": kind})


def _not_configured(channel: str, setting: str) -> DeliveryError:
    return _failure(channel, "NOT_CONFIGURED", f"the setting {setting} is empty")


def _call(channel: str, request: Callable[[], Any]) -> Any:
    """The body of the SDK's answer, or the named failure of what went wrong."""
    try:
        body = request().body
    except CredentialException as error:
        raise _failure(channel, "NO_CREDENTIALS", str(error)) from None
    except AlibabaCloudException as error:
        raise _failure(channel, str(error.code or ""), str(error.message or ""), status=error.status_code) from None
    except (TeaException, UnretryableException, OSError) as error:
        inner = getattr(error, "inner_exception", None)
        if isinstance(inner, CredentialException):  # the SDK wraps what the credentials chain raised
            raise _failure(channel, "NO_CREDENTIALS", str(inner)) from None
        timed_out = "timed out" in str(error).lower() or "timeout" in str(error).lower()
        service = "SMS" if channel == "sms" else "Voice"
        if timed_out:
            raise TransientFailure(f"Alibaba Cloud {service} did not answer in time", code="TIMEOUT") from None
        raise TransientFailure(f"Cannot reach Alibaba Cloud {service}: {error}", code="CONNECTION") from None
    code = str(getattr(body, "code", "") or "")
    if code != "OK":  # a business error comes in an HTTP 200 answer
        raise _failure(channel, code or "EMPTY_ANSWER", str(getattr(body, "message", "") or ""))
    return body


def _out_id(message: Message) -> str | None:
    return str(message.delivery_id) if message.delivery_id else None


class AliyunSmsTransport(Transport):
    """Text messages with SendSms: ALIBABA_CLOUD_SMS_SIGN_NAME and the template of the message's
    kind (alerts and test messages: ALIBABA_CLOUD_SMS_TEMPLATE_ALERT; activation messages:
    ALIBABA_CLOUD_SMS_TEMPLATE_ACTIVATION), the delivery id as OutId. Returns the BizId."""

    channel = "sms"

    def send(self, message: Message) -> str:
        sign_name = settings.ALIBABA_CLOUD_SMS_SIGN_NAME
        if not sign_name:
            raise _not_configured(self.channel, "ALIBABA_CLOUD_SMS_SIGN_NAME")
        setting = (
            "ALIBABA_CLOUD_SMS_TEMPLATE_ACTIVATION"
            if message.kind == "activation"
            else "ALIBABA_CLOUD_SMS_TEMPLATE_ALERT"
        )
        template = getattr(settings, setting)
        if not template:
            raise _not_configured(self.channel, setting)
        request = sms_models.SendSmsRequest(
            phone_numbers=service_number(message.to, mobile_only=False),
            sign_name=sign_name,
            template_code=template,
            template_param=template_variables(message.params),
            out_id=_out_id(message),
        )
        client = SmsClient(sdk_config(settings.ALIBABA_CLOUD_SMS_ENDPOINT))
        body = _call(self.channel, lambda: client.send_sms(request))
        provider_problem_clear(channel=self.channel)
        return str(body.biz_id or "")

    def receipt_query(self, *, provider_id: str, to: str, sent_at: dt.datetime) -> Receipt | None:
        """QuerySendDetails for the BizId on the day it was sent (Beijing time)."""
        request = sms_models.QuerySendDetailsRequest(
            phone_number=service_number(to, mobile_only=False),
            biz_id=provider_id,
            send_date=sent_at.astimezone(BEIJING).strftime("%Y%m%d"),
            page_size=10,
            current_page=1,
        )
        client = SmsClient(sdk_config(settings.ALIBABA_CLOUD_SMS_ENDPOINT))
        body = _call(self.channel, lambda: client.query_send_details(request))
        details = body.sms_send_detail_dtos.sms_send_detail_dto if body.sms_send_detail_dtos else None
        for detail in details or []:
            if detail.send_status == 1:  # 1 waiting for the receipt, 2 failed, 3 delivered
                return None
            delivered = detail.send_status == 3
            code = str(detail.err_code or "")
            return Receipt(
                provider_id=provider_id,
                delivered=delivered,
                at=beijing_time(detail.receive_date),
                code=code,
                text="" if delivered else code,
                incorrect_contact=not delivered and code in SMS_WRONG_NUMBER_RECEIPTS,
                out_id=str(detail.out_id or ""),
            )
        return None


class AliyunVoiceTransport(Transport):
    """Phone calls with SingleCallByTts: ALIBABA_CLOUD_VOICE_TTS_CODE read out with the alert's
    variables, from ALIBABA_CLOUD_VOICE_SHOW_NUMBER, twice, the delivery id as OutId; Chinese
    mainland mobiles only (D2). Returns the CallId."""

    channel = "voice"

    def send(self, message: Message) -> str:
        tts_code = settings.ALIBABA_CLOUD_VOICE_TTS_CODE
        if not tts_code:
            raise _not_configured(self.channel, "ALIBABA_CLOUD_VOICE_TTS_CODE")
        request = voice_models.SingleCallByTtsRequest(
            called_number=service_number(message.to, mobile_only=True),
            called_show_number=settings.ALIBABA_CLOUD_VOICE_SHOW_NUMBER or None,
            tts_code=tts_code,
            tts_param=template_variables(message.params),
            play_times=PLAY_TIMES,
            out_id=_out_id(message),
        )
        client = VoiceClient(sdk_config(settings.ALIBABA_CLOUD_VOICE_ENDPOINT))
        body = _call(self.channel, lambda: client.single_call_by_tts(request))
        provider_problem_clear(channel=self.channel)
        return str(body.call_id or "")

    def receipt_query(self, *, provider_id: str, to: str, sent_at: dt.datetime) -> Receipt | None:
        """QueryCallDetailByCallId, searching the day that starts a little before the call."""
        since = sent_at - dt.timedelta(minutes=10)
        request = voice_models.QueryCallDetailByCallIdRequest(
            call_id=provider_id, prod_id=VOICE_NOTIFICATION_PRODUCT_ID, query_date=int(since.timestamp() * 1000)
        )
        client = VoiceClient(sdk_config(settings.ALIBABA_CLOUD_VOICE_ENDPOINT))
        body = _call(self.channel, lambda: client.query_call_detail_by_call_id(request))
        if not body.data:
            return None
        try:
            data = json.loads(body.data)
        except ValueError:
            return None
        state = str(data.get("state") or "")
        if not state or state in VOICE_PENDING:
            return None
        return call_receipt(
            call_id=provider_id,
            state=state,
            text=str(data.get("stateDesc") or ""),
            at=beijing_time(data.get("endDate") or data.get("startDate")),
        )


def call_receipt(*, call_id: str, state: str, text: str, at: dt.datetime | None, out_id: str = "") -> Receipt:
    delivered = state in VOICE_DELIVERED
    return Receipt(
        provider_id=call_id,
        delivered=delivered,
        at=at,
        code=state,
        text=text,
        incorrect_contact=state in VOICE_WRONG_NUMBER,
        out_id=out_id,
    )


def sms_report_receipt(report: dict[str, Any]) -> Receipt:
    """One entry of a pushed SmsReport array (validated by its schema before)."""
    delivered = bool(report.get("success"))
    code = str(report.get("err_code") or "")
    return Receipt(
        provider_id=str(report["biz_id"]),
        delivered=delivered,
        at=beijing_time(report.get("report_time")),
        code=code,
        text=str(report.get("err_msg") or ""),
        incorrect_contact=not delivered and code in SMS_WRONG_NUMBER_RECEIPTS,
        out_id=str(report.get("out_id") or ""),
    )


def voice_report_receipt(report: dict[str, Any]) -> Receipt | None:
    """One entry of a pushed VoiceReport array; None for a state that is not an outcome yet."""
    state = str(report["status_code"])
    if state in VOICE_PENDING:
        return None
    at = beijing_time(report.get("end_time")) or beijing_time(report.get("status_time"))
    return call_receipt(
        call_id=str(report["call_id"]),
        state=state,
        text=str(report.get("status_msg") or ""),
        at=at or beijing_time(report.get("originate_time")),
        out_id=str(report.get("out_id") or ""),
    )
