"""A local Alibaba Cloud OpenAPI server for tests: the official SDKs (SMS, voice, RAM, DataWorks) talk to it
on loopback exactly as to the real endpoints, and it refuses what the real gateway refuses.

Every rule below names the Alibaba Cloud document it comes from:
- [V3]    "V3 request structure and signature" (ACS3-HMAC-SHA256), help.aliyun.com/zh/sdk/product-overview/
          v3-request-structure-and-signature: headers, canonical request, string to sign, signature.
- [ERR]   OpenAPI common errors: SignatureDoesNotMatch 400, InvalidAccessKeyId.NotFound 404,
          SignatureNonceUsed / InvalidTimeStamp.* 400, Missing<Name> 400; error body RequestId, HostId, Code,
          Message, Recommend.
- [SMS]   dysmsapi 2017-05-25 SendSms, QuerySendDetails and the SmsReport receipt; SMS API error codes (business
          errors answer HTTP 200 with Code != "OK").
- [VMS]   dyvmsapi 2017-05-25 SingleCallByTts, QueryCallDetailByCallId, the VoiceReport receipt, and the voice
          API error code list (HTTP 200 with Code != "OK").
- [RAM]   ram 2015-05-01 ListUsers, GetUser, ListRoles, ListPoliciesForUser, ListPoliciesForRole (Marker paging).
- [DW]    dataworks-public 2024-05-18 ListProjects, ListProjectMembers (PagingInfo paging).
Only V3 signatures are accepted: `Config(signature_algorithm="v2")` requests are refused (the real gateway still
takes them).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from tests.peers import LoopbackHttpServer, json_answer

Json = dict[str, Any]
Params = dict[str, str]

ACCESS_KEY_ID = "LTAI5tPeerTestKey"
ACCESS_KEY_SECRET = "peer-test-secret"
ALGORITHM = "ACS3-HMAC-SHA256"
BEIJING = dt.timezone(dt.timedelta(hours=8))
# [V3] the string to sign carries no date: x-acs-date must be within 15 minutes of the server's clock.
MAX_CLOCK_SKEW = dt.timedelta(minutes=15)
AUTHORIZATION = re.compile(r"ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})")
# [V3] common headers every request carries; they, `host`, `content-type` and every other x-acs-* header are signed.
COMMON_HEADERS = (
    "host",
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
)
# Default messages for `Service.fail_next`, as the documents word them.
MESSAGES = {
    "isv.MOBILE_NUMBER_ILLEGAL": "非法手机号",
    "isv.BUSINESS_LIMIT_CONTROL": "触发分钟级流控Permits:1",
    "isv.AMOUNT_NOT_ENOUGH": "账户余额不足",
    "isv.OUT_OF_SERVICE": "业务停机",
    "isp.SYSTEM_ERROR": "系统错误",
    "Throttling.User": "Request was denied due to user flow control.",
    "ServiceUnavailable": "The request has failed due to a temporary failure of the server.",
    "InternalError": "The request processing has failed due to some unknown error, exception or failure.",
}


class AcsError(Exception):
    """An error answer. Status 200 is a business error (SMS, voice: `Code` != "OK" in a normal answer); 4xx/5xx
    are gateway-style errors the SDK raises as ClientException / ServerException."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


def missing(name: str) -> AcsError:
    return AcsError(400, f"Missing{name}", f"{name} is mandatory for this action.")  # [ERR]


def require(params: Params, name: str) -> str:
    if not params.get(name):
        raise missing(name)
    return params[name]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def now_text(fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return dt.datetime.now(BEIJING).strftime(fmt)


# ---- [V3] signature --------------------------------------------------------------------------------------------


def percent_encode(value: str) -> str:
    """[V3] RFC 3986 over UTF-8: letters, digits and - _ . ~ stay; all else is %XY (space %20, * %2A)."""
    return quote(value, safe="", encoding="utf-8")


def canonical_query(pairs: list[tuple[str, str]]) -> str:
    """[V3] CanonicalQueryString: names and values encoded, sorted by name (then value), `name=value` joined by &."""
    return "&".join(f"{k}={v}" for k, v in sorted((percent_encode(k), percent_encode(v)) for k, v in pairs))


def canonical_request(
    method: str, path: str, query: list[tuple[str, str]], headers: dict[str, list[str]], signed: list[str], body: bytes
) -> str:
    """[V3] method, URI ("/" for RPC), query, `name:value\\n` per signed header (lower-case, trimmed, sorted), the
    signed header list joined by ;, hex SHA-256 of the body."""
    canonical_headers = "".join(f"{name}:{','.join(v.strip() for v in headers[name])}\n" for name in signed)
    return "\n".join(
        [method, path or "/", canonical_query(query), canonical_headers, ";".join(signed), sha256_hex(body)]
    )


def string_to_sign(canonical: str) -> str:
    return f"{ALGORITHM}\n{sha256_hex(canonical.encode())}"  # [V3] algorithm + hex SHA-256 of the canonical request


def signature(secret: str, to_sign: str) -> str:
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()  # [V3] lower-case hex HMAC


@dataclass
class SignedRequest:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, list[str]]  # lower-case name -> values
    body: bytes

    def header(self, name: str) -> str:
        return ",".join(self.headers.get(name, []))


def verify(request: SignedRequest, secrets: dict[str, str], nonces: set[str], now: dt.datetime | None) -> str:
    """Checks a request as [V3] describes and returns its AccessKey id, or raises the [ERR] answer. `now` None
    skips the clock check (for the document's worked example)."""
    match = AUTHORIZATION.fullmatch(request.header("authorization"))
    if not match:
        raise AcsError(400, "IncompleteSignature", "The request signature does not conform to Aliyun standards.")
    key_id, signed_list, given = match.groups()
    signed = sorted(set(signed_list.split(";")))
    must_sign = [h for h in request.headers if h in ("host", "content-type") or h.startswith("x-acs-")]
    absent = [h for h in [*COMMON_HEADERS, *signed] if h not in request.headers]
    unsigned = [h for h in must_sign if h not in signed]
    if absent or unsigned:
        raise AcsError(400, "IncompleteSignature", f"The header {(absent + unsigned)[0]} must be sent and signed.")
    if key_id not in secrets:
        raise AcsError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    try:
        sent_at = dt.datetime.strptime(request.header("x-acs-date"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        raise AcsError(
            400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."
        ) from None
    if now is not None and abs(now - sent_at) > MAX_CLOCK_SKEW:
        raise AcsError(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
    canonical = canonical_request(request.method, request.path, request.query, request.headers, signed, request.body)
    to_sign = string_to_sign(canonical)
    # [V3] x-acs-content-sha256 is the body's hash: a body changed after signing no longer matches it.
    body_matches = request.header("x-acs-content-sha256") == sha256_hex(request.body)
    if not body_matches or not hmac.compare_digest(signature(secrets[key_id], to_sign), given):
        message = f"Specified signature does not match our calculation. The server string to sign is: {to_sign}"
        raise AcsError(400, "SignatureDoesNotMatch", message)
    nonce = request.header("x-acs-signature-nonce")  # [V3] a nonce is good for one request (replay protection)
    if nonce in nonces:
        raise AcsError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
    nonces.add(nonce)
    return key_id


# ---- services ------------------------------------------------------------------------------------------------------


class Service:
    """One product on the peer: its API version, its actions, and the in-memory state tests set up. Handlers take
    the request parameters (strings) and return the documented response body without RequestId."""

    product = ""
    version = ""

    def __init__(self) -> None:
        self.handlers: dict[str, Callable[[Params], Json]] = {}
        self._failures: list[AcsError] = []

    def fail_next(self, code: str, message: str | None = None, *, status: int | None = None, times: int = 1) -> None:
        """The next `times` calls answer `code`: business codes (isv.*, isp.*) in a 200 answer as SMS and voice do,
        others as HTTP `status` (default 400)."""
        status = status or (200 if code.startswith(("isv.", "isp.")) else 400)
        self._failures += [AcsError(status, code, message or MESSAGES.get(code, code))] * times

    def answer(self, action: str, params: Params) -> Json:
        if self._failures:
            raise self._failures.pop(0)
        return self.handlers[action](params)


def template_variables(raw: str | None, error: AcsError) -> dict[str, str]:
    """[SMS] TemplateParam / [VMS] TtsParam: a JSON object of string values."""
    if raw is None:
        return {}
    try:
        variables = json.loads(raw)
    except ValueError:
        raise error from None
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise error
    return variables


def fill(template: str | None, variables: dict[str, str], error: AcsError) -> str:
    if template is None:
        return json.dumps(variables, ensure_ascii=False)
    if any(name not in variables for name in re.findall(r"\$\{(\w+)\}", template)):
        raise error
    return re.sub(r"\$\{(\w+)\}", lambda m: variables[m.group(1)], template)


class SmsService(Service):
    """[SMS] SendSms and QuerySendDetails. `sign_names` / `templates` (code -> text with ${var}) are what the
    account has approved; None accepts any. `sent` holds one record per recipient."""

    product, version = "Dysmsapi", "2017-05-25"
    # [SMS] PhoneNumbers: mainland numbers with no prefix or +, +86, 0086, 86; others as country code + number,
    # digits only (no +).
    NUMBER = re.compile(r"(?:\+86|0086|86|\+)?(1[3-9]\d{9})|([1-9]\d{6,14})")

    def __init__(self) -> None:
        super().__init__()
        self.handlers = {"SendSms": self.send_sms, "QuerySendDetails": self.query_send_details}
        self.sign_names: set[str] | None = None
        self.templates: dict[str, str] | None = None
        self.sent: list[Json] = []
        self._ids = itertools.count(900619746936498)

    def send_sms(self, p: Params) -> Json:
        numbers = require(p, "PhoneNumbers").split(",")
        sign_name, template_code = require(p, "SignName"), require(p, "TemplateCode")
        if len(numbers) > 1000:
            raise AcsError(200, "isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制")
        matches = [self.NUMBER.fullmatch(n) for n in numbers]
        if not all(matches):
            raise AcsError(200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        if self.sign_names is not None and sign_name not in self.sign_names:
            raise AcsError(200, "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        if self.templates is not None and template_code not in self.templates:
            raise AcsError(200, "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        bad_json = AcsError(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        variables = template_variables(p.get("TemplateParam"), bad_json)
        missing_variable = AcsError(200, "isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
        text = fill((self.templates or {}).get(template_code), variables, missing_variable)
        biz_id, sent_at = f"{next(self._ids)}^0", now_text()
        for match in matches:
            assert match is not None
            self.sent.append(
                {
                    "PhoneNum": match.group(1) or match.group(2),
                    "SignName": sign_name,
                    "TemplateCode": template_code,
                    "TemplateParam": variables,
                    "Content": f"【{sign_name}】{text}",
                    "OutId": p.get("OutId", ""),
                    "BizId": biz_id,
                    "SendDate": sent_at,
                    "ReceiveDate": sent_at,
                    "SendStatus": 3,  # [SMS] 1 waiting for the receipt, 2 failed, 3 delivered
                    "ErrCode": "DELIVERED",
                }
            )
        return {"Code": "OK", "Message": "OK", "BizId": biz_id}

    def query_send_details(self, p: Params) -> Json:
        phone, send_date = require(p, "PhoneNumber"), require(p, "SendDate")
        page_size, page = int(require(p, "PageSize")), int(require(p, "CurrentPage"))
        if not 1 <= page_size <= 50 or page < 1 or not re.fullmatch(r"\d{8}", send_date):
            raise AcsError(200, "isv.INVALID_PARAMETERS", "参数异常")
        rows = [
            r
            for r in self.sent
            if r["PhoneNum"] == phone
            and r["SendDate"][:10].replace("-", "") == send_date
            and p.get("BizId") in (None, r["BizId"])
        ]
        shown = rows[(page - 1) * page_size : page * page_size]
        fields = ("PhoneNum", "SendStatus", "ErrCode", "TemplateCode", "Content", "SendDate", "ReceiveDate", "OutId")
        details = [{k: r[k] for k in fields} for r in shown]
        return {
            "Code": "OK",
            "Message": "OK",
            "TotalCount": str(len(rows)),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": details},
        }

    def report(
        self, sent: Json, *, success: bool = True, err_code: str = "DELIVERED", err_msg: str = "用户接收成功"
    ) -> Json:
        """Sets a recorded send's outcome and returns its [SMS] SmsReport receipt entry."""
        sent.update(SendStatus=3 if success else 2, ErrCode=err_code, ReceiveDate=now_text())
        return {
            "phone_number": sent["PhoneNum"],
            "send_time": sent["SendDate"],
            "report_time": sent["ReceiveDate"],
            "success": success,
            "err_code": err_code,
            "err_msg": err_msg,
            "sms_size": "1",
            "biz_id": sent["BizId"],
            "out_id": sent["OutId"],
        }


class VoiceService(Service):
    """[VMS] SingleCallByTts and QueryCallDetailByCallId. `tts_templates` (code -> text with ${var}) and
    `show_numbers` (purchased numbers) are the account's; None accepts any. `placed` holds the calls."""

    product, version = "Dyvmsapi", "2017-05-25"
    NUMBER = re.compile(r"0\d{9,11}|[1-9]\d{6,14}")  # [VMS] mobile, landline, or country code + number; no +
    PRODUCT_IDS = {"11000000300006", "11010000138001", "11000000300005", "11000000300009", "11030000180001"}

    def __init__(self) -> None:
        super().__init__()
        self.handlers = {"SingleCallByTts": self.single_call_by_tts, "QueryCallDetailByCallId": self.query_call_detail}
        self.tts_templates: dict[str, str] | None = None
        self.show_numbers: set[str] | None = None
        self.placed: list[Json] = []
        self._ids = itertools.count(116012354148)

    def single_call_by_tts(self, p: Params) -> Json:
        called, tts_code, show = require(p, "CalledNumber"), require(p, "TtsCode"), p.get("CalledShowNumber")
        invalid = AcsError(200, "isv.INVALID_PARAMETERS", "参数异常")
        if not self.NUMBER.fullmatch(called):
            raise AcsError(200, "isv.MOBILE_NUMBER_ILLEGAL", "号码格式非法")
        if show and self.show_numbers is not None and show not in self.show_numbers:
            raise AcsError(200, "isv.DISPLAY_NUMBER_ILLEGAL", "号显不合法")
        if self.tts_templates is not None and tts_code not in self.tts_templates:
            raise AcsError(200, "isv.TTS_TEMPLATE_ILLEGAL", "TTS模板不合法")
        variables = template_variables(p.get("TtsParam"), AcsError(200, "isv.TEMPLATE_PARAMS_ILLEGAL", "模板变量非法"))
        if len("".join(variables.values())) >= 250:
            raise AcsError(200, "isv.PARAM_LENGTH_LIMIT", "参数长度受限")
        if any(re.search(r"https?://|www\.", v) for v in variables.values()):
            raise AcsError(200, "isv.PARAM_NOT_SUPPORT_URL", "变量不支持URL参数")
        ranges = {"PlayTimes": (1, 3), "Volume": (0, 100), "Speed": (-500, 500)}
        if any(name in p and not low <= int(p[name]) <= high for name, (low, high) in ranges.items()):
            raise invalid
        if not 1 <= len(p.get("OutId", "x").encode()) <= 15:  # [VMS] OutId: 1 to 15 bytes
            raise invalid
        missing_variable = AcsError(200, "isv.TEMPLATE_MISSING_PARAMETERS", "文本转语音模板参数缺失")
        text = fill((self.tts_templates or {}).get(tts_code), variables, missing_variable)
        serial = next(self._ids)
        call_id = f"{serial}^{serial * 7 % 10**11:011d}"  # [VMS] shaped like 116012354148^10281378****
        call = {
            "CallId": call_id,
            "CalledNumber": called,
            "CalledShowNumber": show or "",
            "TtsCode": tts_code,
            "TtsParam": variables,
            "Text": text,
            "PlayTimes": int(p.get("PlayTimes", 3)),
            "OutId": p.get("OutId", ""),
            "StartedAt": dt.datetime.now(BEIJING),
            "StatusCode": "200000",  # [VMS] call status codes; `report` sets another outcome
            "StatusMsg": "用户听音结束",
            "Duration": 10,
        }
        self.placed.append(call)
        return {"Code": "OK", "Message": "OK", "CallId": call_id}

    def query_call_detail(self, p: Params) -> Json:
        call_id, product_id, query_ms = require(p, "CallId"), require(p, "ProdId"), int(require(p, "QueryDate"))
        if product_id not in self.PRODUCT_IDS:
            raise AcsError(200, "isv.INVALID_PARAMETERS", "参数异常")
        # [VMS] QueryDate (ms): the records of the 24 hours that follow it.
        found = [c for c in self.placed if c["CallId"] == call_id]
        if not found or not 0 <= found[0]["StartedAt"].timestamp() * 1000 - query_ms < 86_400_000:
            return {"Code": "OK", "Message": "OK"}
        call = found[0]
        start, end = call["StartedAt"], call["StartedAt"] + dt.timedelta(seconds=call["Duration"])
        data = {"callId": call_id, "calleeNumber": call["CalledNumber"], "callerShowNumber": call["CalledShowNumber"]}
        data |= {"state": call["StatusCode"], "stateDesc": call["StatusMsg"], "duration": call["Duration"]}
        data |= {"startDate": f"{start:%Y-%m-%d %H:%M:%S}", "endDate": f"{end:%Y-%m-%d %H:%M:%S}"}
        return {"Code": "OK", "Message": "OK", "Data": json.dumps(data, ensure_ascii=False)}

    def report(
        self, call: Json, *, status_code: str = "200000", status_msg: str = "用户听音结束", duration: int = 10
    ) -> Json:
        """Sets a placed call's outcome and returns its [VMS] VoiceReport receipt entry."""
        call.update(StatusCode=status_code, StatusMsg=status_msg, Duration=duration)
        start, end = call["StartedAt"], call["StartedAt"] + dt.timedelta(seconds=duration)
        return {
            "call_id": call["CallId"],
            "caller": call["CalledShowNumber"],
            "callee": call["CalledNumber"],
            "originate_time": f"{start:%Y-%m-%d %H:%M:%S}",
            "start_time": f"{start:%Y-%m-%d %H:%M:%S}" if duration else "",
            "end_time": f"{end:%Y-%m-%d %H:%M:%S}" if duration else "",
            "duration": str(duration),
            "status_code": status_code,
            "status_msg": status_msg,
            "voice_type": "voice",
            "out_id": call["OutId"],
        }


def marker_page(items: list[Json], p: Params) -> tuple[list[Json], Json]:
    """[RAM] MaxItems (1-1000, default 100) per answer; IsTruncated and an opaque Marker lead to the next one."""
    size = int(p.get("MaxItems") or 100)
    try:
        start = int(base64.urlsafe_b64decode(p["Marker"]).decode()) if p.get("Marker") else 0
    except ValueError:
        raise AcsError(400, "InvalidParameter.Marker", "The parameter Marker is invalid.") from None  # peer's wording
    if not 1 <= size <= 1000:
        raise AcsError(400, "InvalidParameter.MaxItems", "The parameter MaxItems is invalid.")  # the peer's wording
    end = start + size
    more = {"IsTruncated": True, "Marker": base64.urlsafe_b64encode(str(end).encode()).decode()}
    return items[start:end], more if end < len(items) else {"IsTruncated": False}


class RamService(Service):
    """[RAM] users, roles and the policies attached to them, set up with `add_user`, `add_role`, `attach_policy`."""

    product, version = "Ram", "2015-05-01"

    def __init__(self, account_id: str = "1234567890123456") -> None:
        super().__init__()
        self.handlers = {
            "ListUsers": self.list_users,
            "GetUser": self.get_user,
            "ListRoles": self.list_roles,
            "ListPoliciesForUser": lambda p: self.policies_of("User", p),
            "ListPoliciesForRole": lambda p: self.policies_of("Role", p),
        }
        self.account_id = account_id
        self.users: dict[str, Json] = {}
        self.roles: dict[str, Json] = {}
        self.policies: dict[tuple[str, str], list[Json]] = {}  # ("User" | "Role", name) -> attached policies
        self._ids = itertools.count(222748924538001)

    def add_user(self, name: str, *, display_name: str = "", email: str = "", mobile_phone: str = "") -> Json:
        stamp = now_text("%Y-%m-%dT%H:%M:%SZ")
        user = {"UserId": str(next(self._ids)), "UserName": name, "DisplayName": display_name or name, "Email": email}
        user |= {"MobilePhone": mobile_phone, "Comments": "", "CreateDate": stamp, "UpdateDate": stamp}
        self.users[name] = user
        return user

    def add_role(self, name: str, *, description: str = "", max_session_duration: int = 3600) -> Json:
        stamp = now_text("%Y-%m-%dT%H:%M:%SZ")
        role = {
            "RoleId": str(next(self._ids)),
            "RoleName": name,
            "Arn": f"acs:ram::{self.account_id}:role/{name.lower()}",
        }
        role |= {"Description": description, "MaxSessionDuration": max_session_duration, "CreateDate": stamp}
        self.roles[name] = role | {"UpdateDate": stamp}
        return self.roles[name]

    def attach_policy(self, policy_name: str, *, user: str = "", role: str = "", policy_type: str = "System") -> None:
        policy = {"PolicyName": policy_name, "PolicyType": policy_type, "Description": "", "DefaultVersion": "v1"}
        key = ("User", user) if user else ("Role", role)
        self.policies.setdefault(key, []).append(policy | {"AttachDate": now_text("%Y-%m-%dT%H:%M:%SZ")})

    def list_users(self, p: Params) -> Json:
        users, paging = marker_page(list(self.users.values()), p)
        return {"Users": {"User": users}, **paging}

    def get_user(self, p: Params) -> Json:
        name = require(p, "UserName")
        if name not in self.users:
            raise AcsError(404, "EntityNotExist.User", "The user does not exist.")
        return {"User": self.users[name]}

    def list_roles(self, p: Params) -> Json:
        roles, paging = marker_page(list(self.roles.values()), p)
        return {"Roles": {"Role": roles}, **paging}

    def policies_of(self, kind: str, p: Params) -> Json:
        name = require(p, f"{kind}Name")
        if name not in (self.users if kind == "User" else self.roles):
            raise AcsError(404, f"EntityNotExist.{kind}", f"The {kind.lower()} does not exist.")
        return {"Policies": {"Policy": self.policies.get((kind, name), [])}}


def json_list(p: Params, name: str) -> list[Any] | None:
    """[DW] array parameters travel as a JSON array string in the form body."""
    if not p.get(name):
        return None
    try:
        values = json.loads(p[name])
    except ValueError:
        values = None
    if not isinstance(values, list):
        raise AcsError(400, "InvalidParameter", f"The parameter {name} is invalid.")
    return values


def number_page(items: list[Json], p: Params, key: str) -> Json:
    """[DW] PageNumber (from 1), PageSize (default 10, at most 100) -> PagingInfo with TotalCount."""
    number, size = int(p.get("PageNumber") or 1), int(p.get("PageSize") or 10)
    if number < 1 or not 1 <= size <= 100:
        raise AcsError(400, "InvalidParameter", "The parameter PageNumber or PageSize is invalid.")
    shown = items[(number - 1) * size : number * size]
    return {"PagingInfo": {"PageNumber": number, "PageSize": size, "TotalCount": len(items), key: shown}}


class DataWorksService(Service):
    """[DW] workspaces (projects) and their members, set up with `add_project` and `add_member`."""

    product, version = "dataworks-public", "2024-05-18"

    def __init__(self, owner: str = "1234567890123456") -> None:
        super().__init__()
        self.handlers = {"ListProjects": self.list_projects, "ListProjectMembers": self.list_project_members}
        self.owner = owner
        self.projects: dict[int, Json] = {}
        self.members: dict[int, list[Json]] = {}
        self._ids = itertools.count(28477242)

    def add_project(self, name: str, *, display_name: str = "", status: str = "Available") -> Json:
        project = {"Id": next(self._ids), "Name": name, "DisplayName": display_name or name, "Description": ""}
        project |= {"Status": status, "Owner": self.owner, "DevEnvironmentEnabled": True, "DevRoleDisabled": False}
        project |= {"PaiTaskEnabled": False, "AliyunResourceGroupId": "rg-acfmzbn7pti3zfa", "AliyunResourceTags": []}
        self.projects[project["Id"]] = project
        self.members[project["Id"]] = []
        return project

    def add_member(
        self, project_id: int, user_id: str, *, user_name: str = "", roles: Json | None = None, status: str = "Normal"
    ) -> Json:
        """`roles`: role code -> name, e.g. {"role_project_admin": "空间管理员"}; system roles start with role_."""
        roles = roles or {"role_project_guest": "访客"}
        role_list = [
            {"Code": c, "Name": n, "Type": "System" if c.startswith("role_") else "UserCustom"}
            for c, n in roles.items()
        ]
        member = {
            "ProjectId": project_id,
            "UserId": user_id,
            "UserName": user_name,
            "Status": status,
            "Roles": role_list,
        }
        self.members[project_id].append(member)
        return member

    def list_projects(self, p: Params) -> Json:
        ids, names = json_list(p, "Ids"), json_list(p, "Names")
        projects = [
            project
            for project in self.projects.values()
            if (ids is None or project["Id"] in ids)
            and (names is None or project["Name"] in names)
            and p.get("Status") in (None, project["Status"])
        ]
        return number_page(projects, p, "Projects")

    def list_project_members(self, p: Params) -> Json:
        project_id = int(require(p, "ProjectId"))
        if project_id not in self.projects:
            raise AcsError(400, "InvalidParameter", "The specified ProjectId does not exist.")  # the peer's wording
        codes, user_ids = json_list(p, "RoleCodes"), json_list(p, "UserIds")
        members = [
            m
            for m in self.members[project_id]
            if (codes is None or any(r["Code"] in codes for r in m["Roles"]))
            and (user_ids is None or m["UserId"] in user_ids)
        ]
        return number_page(members, p, "ProjectMembers")


# ---- the server ----------------------------------------------------------------------------------------------------


@dataclass
class Call:
    """A verified request: who sent it, to which action, with which parameters (query and form body merged)."""

    action: str
    version: str
    access_key_id: str
    params: Params
    headers: dict[str, list[str]]
    body: bytes
    answer: Json = field(default_factory=dict)
    status: int = 200


class AliyunPeer(LoopbackHttpServer):
    """Alibaba Cloud OpenAPI on 127.0.0.1: `POST /` with x-acs-action / x-acs-version, V3-signed. Point an SDK
    `Config(access_key_id=ACCESS_KEY_ID, access_key_secret=ACCESS_KEY_SECRET, endpoint=peer.endpoint,
    protocol="http")` at it. `calls` records every verified request, `refused` every refused one."""

    def __init__(self, keys: dict[str, str] | None = None) -> None:
        self.keys = dict(keys or {ACCESS_KEY_ID: ACCESS_KEY_SECRET})
        self.sms, self.voice, self.ram, self.dataworks = SmsService(), VoiceService(), RamService(), DataWorksService()
        self.services: dict[tuple[str, str], Service] = {
            (service.version, action): service
            for service in (self.sms, self.voice, self.ram, self.dataworks)
            for action in service.handlers
        }
        self.calls: list[Call] = []
        self.refused: list[AcsError] = []
        self.delay = 0.0  # seconds to wait before answering (read timeouts)
        self.check_clock = True
        self._nonces: set[str] = set()
        self._lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                peer.handle(self)

            def do_GET(self) -> None:
                peer.handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._serve(Handler)

    @property
    def endpoint(self) -> str:
        return self.url.removeprefix("http://")

    def calls_to(self, action: str) -> list[Call]:
        return [call for call in self.calls if call.action == action]

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        url = urlsplit(handler.path)
        headers: dict[str, list[str]] = {}
        for name, value in handler.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        # The SDK writes spaces in the URL as "+": decode, then [V3] re-encodes them as %20.
        query = parse_qsl(url.query, keep_blank_values=True)
        request = SignedRequest(handler.command, url.path, query, headers, body)
        request_id = str(uuid.uuid4()).upper()
        service = self.services.get((request.header("x-acs-version"), request.header("x-acs-action")))
        with self._lock:
            status, answer = self.answer(request, service)
        answer = {"RequestId": request_id, **answer}
        if status >= 400:  # [ERR] error body
            product = service.product if service else ""
            recommend = (
                f"https://api.aliyun.com/troubleshoot?q={answer['Code']}&product={product}&requestId={request_id}"
            )
            answer |= {"HostId": request.header("host"), "Recommend": recommend}
        payload = json.dumps(answer, ensure_ascii=False).encode()
        time.sleep(self.delay)
        json_answer(handler, status, payload, "application/json;charset=utf-8")

    def answer(self, request: SignedRequest, service: Service | None) -> tuple[int, Json]:
        now = dt.datetime.now(dt.UTC) if self.check_clock else None
        action, version = request.header("x-acs-action"), request.header("x-acs-version")
        try:
            key_id = verify(request, self.keys, self._nonces, now)
        except AcsError as error:
            self.refused.append(error)
            return error.status, {"Code": error.code, "Message": error.message}
        params = dict(request.query)
        if request.header("content-type").startswith("application/x-www-form-urlencoded"):
            params |= dict(parse_qsl(request.body.decode(), keep_blank_values=True))
        call = Call(action, version, key_id, params, request.headers, request.body)
        self.calls.append(call)
        try:
            if service is None:
                raise AcsError(404, "InvalidAction.NotFound", "Specified api is not found, please check your url.")
            call.answer = service.answer(action, params)
        except (ValueError, KeyError) as error:  # a number or a field of the wrong shape
            call.status, call.answer = 400, {"Code": "InvalidParameter", "Message": f"Invalid parameter: {error}"}
        except AcsError as error:
            call.status, call.answer = error.status, {"Code": error.code, "Message": error.message}
        return call.status, call.answer


def push_receipts(url: str, receipts: list[Json], timeout: float = 5.0) -> tuple[int, bytes]:
    """POSTs a JSON array of receipts ([SMS] SmsReport, [VMS] VoiceReport) to `url` as the service pushes them;
    returns the HTTP status and body of the answer (the service expects 200 and {"code": 0})."""
    data = json.dumps(receipts, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def aliyun_peer(monkeypatch: pytest.MonkeyPatch) -> Iterator[AliyunPeer]:
    """A running AliyunPeer; the SDK credentials chain does not try ECS instance metadata."""
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    # The credentials package reads its environment once, when imported: set what it read.
    monkeypatch.setattr("alibabacloud_credentials.utils.auth_util.environment_ecs_metadata_disabled", "true")
    with AliyunPeer() as peer:
        yield peer
