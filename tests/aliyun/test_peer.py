"""The official Alibaba Cloud SDKs work against the local peer, and the peer refuses what the real gateway refuses."""

import datetime as dt
import http.client
import json
import uuid
from urllib.parse import urlencode

import pytest
from alibabacloud_credentials.client import Client as CredentialClient
from alibabacloud_credentials.models import Config as CredentialConfig
from alibabacloud_dataworks_public20240518 import models as dataworks_models
from alibabacloud_dataworks_public20240518.client import Client as DataWorksClient
from alibabacloud_dysmsapi20170525 import models as sms_models
from alibabacloud_dysmsapi20170525.client import Client as SmsClient
from alibabacloud_dyvmsapi20170525 import models as voice_models
from alibabacloud_dyvmsapi20170525.client import Client as VoiceClient
from alibabacloud_ram20150501 import models as ram_models
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.exceptions import UnretryableException

from tests.aliyun_peer import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    AliyunPeer,
    SignedRequest,
    canonical_request,
    push_receipts,
    sha256_hex,
    signature,
    string_to_sign,
    verify,
)
from tests.peers import HttpPeer

pytestmark = pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")


def config(peer: AliyunPeer, secret: str = ACCESS_KEY_SECRET, key_id: str = ACCESS_KEY_ID, **options: object) -> Config:
    """The SDK pointed at the peer over plain HTTP, with explicit timeouts in milliseconds."""
    timeouts = {"connect_timeout": 2000, "read_timeout": 3000} | options
    return Config(access_key_id=key_id, access_key_secret=secret, endpoint=peer.endpoint, protocol="http", **timeouts)


def send_sms(peer: AliyunPeer, **fields: str) -> sms_models.SendSmsResponse:
    request = {"phone_numbers": "13800138000", "sign_name": "告警中心", "template_code": "SMS_1530001"} | fields
    return SmsClient(config(peer)).send_sms(sms_models.SendSmsRequest(**request))


# ---- the V3 signature, as the document describes it


def test_the_documents_worked_example_verifies():
    """The V3 document's own example: RunInstances, its headers, its secret, its published signature."""
    empty = sha256_hex(b"")
    headers = {
        "host": ["ecs.cn-shanghai.aliyuncs.com"],
        "x-acs-action": ["RunInstances"],
        "x-acs-content-sha256": [empty],
        "x-acs-date": ["2023-10-26T10:22:32Z"],
        "x-acs-signature-nonce": ["3156853299f313e23d1673dc12e1703d"],
        "x-acs-version": ["2014-05-26"],
    }
    query = [("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"), ("RegionId", "cn-shanghai")]
    signed = sorted(headers)
    canonical = canonical_request("POST", "/", query, headers, signed, b"")
    assert string_to_sign(canonical).endswith("7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259")
    published = "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
    headers["authorization"] = [
        f"ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders={';'.join(signed)},Signature={published}"
    ]
    request = SignedRequest("POST", "/", query, headers, b"")
    assert verify(request, {"YourAccessKeyId": "YourAccessKeySecret"}, set(), now=None) == "YourAccessKeyId"


def hand_signed(peer: AliyunPeer, query: dict[str, str], body: bytes = b"", **header_values: str) -> dict[str, str]:
    """Headers of a request signed by hand (stdlib only), as the document's steps build them."""
    headers = {
        "host": peer.endpoint,
        "x-acs-action": "SendSms",
        "x-acs-version": "2017-05-25",
        "x-acs-date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-content-sha256": sha256_hex(body),
    } | header_values
    if body:
        headers["content-type"] = "application/x-www-form-urlencoded"
    signed = sorted(headers)
    canonical = canonical_request("POST", "/", list(query.items()), {k: [v] for k, v in headers.items()}, signed, body)
    signed_list, to_sign = ";".join(signed), signature(ACCESS_KEY_SECRET, string_to_sign(canonical))
    authorization = f"ACS3-HMAC-SHA256 Credential={ACCESS_KEY_ID},SignedHeaders={signed_list},Signature={to_sign}"
    return headers | {"Authorization": authorization}


def post(peer: AliyunPeer, query: dict[str, str], headers: dict[str, str], body: bytes = b"") -> tuple[int, dict]:
    connection = http.client.HTTPConnection(peer.endpoint, timeout=5)
    try:
        connection.request("POST", "/?" + urlencode(query), body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


SMS_QUERY = {"PhoneNumbers": "13800138000", "SignName": "告警中心", "TemplateCode": "SMS_1530001"}


def test_a_hand_signed_request_is_accepted_once(aliyun_peer):
    headers = hand_signed(aliyun_peer, SMS_QUERY)
    status, answer = post(aliyun_peer, SMS_QUERY, headers)
    assert (status, answer["Code"]) == (200, "OK")
    status, answer = post(aliyun_peer, SMS_QUERY, headers)  # the same nonce again: a replay
    assert (status, answer["Code"]) == (400, "SignatureNonceUsed")


def test_a_query_value_changed_after_signing_is_refused(aliyun_peer):
    headers = hand_signed(aliyun_peer, SMS_QUERY)
    status, answer = post(aliyun_peer, SMS_QUERY | {"PhoneNumbers": "13900139000"}, headers)
    assert (status, answer["Code"]) == (400, "SignatureDoesNotMatch")
    assert answer["RequestId"] and answer["HostId"] == aliyun_peer.endpoint
    assert aliyun_peer.sms.sent == [] and aliyun_peer.calls == []


def test_a_form_body_changed_after_signing_is_refused(aliyun_peer):
    aliyun_peer.dataworks.add_project("alerts")
    body = b"PageNumber=1&PageSize=10"
    headers = hand_signed(aliyun_peer, {}, body, **{"x-acs-action": "ListProjects", "x-acs-version": "2024-05-18"})
    status, answer = post(aliyun_peer, {}, headers, b"PageNumber=1&PageSize=99")
    assert (status, answer["Code"]) == (400, "SignatureDoesNotMatch")


def test_a_stale_date_and_changed_or_missing_headers_are_refused(aliyun_peer):
    stale = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, answer = post(aliyun_peer, SMS_QUERY, hand_signed(aliyun_peer, SMS_QUERY, **{"x-acs-date": stale}))
    assert (status, answer["Code"]) == (400, "InvalidTimeStamp.Expired")
    headers = hand_signed(aliyun_peer, SMS_QUERY)
    headers["x-acs-signature-nonce"] = uuid.uuid4().hex  # sent, but another value than the signed one
    status, answer = post(aliyun_peer, SMS_QUERY, headers)
    assert (status, answer["Code"]) == (400, "SignatureDoesNotMatch")
    headers = hand_signed(aliyun_peer, SMS_QUERY)
    del headers["x-acs-signature-nonce"]  # signed, but not sent
    status, answer = post(aliyun_peer, SMS_QUERY, headers)
    assert (status, answer["Code"]) == (400, "IncompleteSignature")


def test_an_unknown_action_is_not_found(aliyun_peer):
    status, answer = post(aliyun_peer, {}, hand_signed(aliyun_peer, {}, **{"x-acs-action": "SendSmsNow"}))
    assert (status, answer["Code"]) == (404, "InvalidAction.NotFound")
    assert aliyun_peer.calls[-1].action == "SendSmsNow"


def test_a_wrong_secret_is_refused_as_signature_does_not_match(aliyun_peer):
    with pytest.raises(ClientException) as raised:
        SmsClient(config(aliyun_peer, secret="not-the-secret")).send_sms(
            sms_models.SendSmsRequest(phone_numbers="13800138000", sign_name="告警中心", template_code="SMS_1530001")
        )
    assert (raised.value.status_code, raised.value.code) == (400, "SignatureDoesNotMatch")
    assert raised.value.data["RequestId"] == raised.value.request_id
    assert aliyun_peer.refused[-1].code == "SignatureDoesNotMatch" and aliyun_peer.sms.sent == []


def test_an_unknown_access_key_is_refused(aliyun_peer):
    with pytest.raises(ClientException) as raised:
        RamClient(config(aliyun_peer, key_id="LTAI-unknown")).list_users(ram_models.ListUsersRequest())
    assert (raised.value.status_code, raised.value.code) == (404, "InvalidAccessKeyId.NotFound")


def test_the_credentials_client_signs_for_the_sdk(aliyun_peer):
    credential = CredentialClient(
        CredentialConfig(type="access_key", access_key_id=ACCESS_KEY_ID, access_key_secret=ACCESS_KEY_SECRET)
    )
    client = SmsClient(Config(credential=credential, endpoint=aliyun_peer.endpoint, protocol="http"))
    request = sms_models.SendSmsRequest(phone_numbers="13800138000", sign_name="告警中心", template_code="SMS_1530001")
    assert client.send_sms(request).body.code == "OK"


def test_a_read_timeout_raises_unretryable(aliyun_peer):
    aliyun_peer.delay = 1.0
    client = RamClient(config(aliyun_peer, read_timeout=200))
    with pytest.raises(UnretryableException):
        client.list_users(ram_models.ListUsersRequest())


# ---- SMS


def test_send_sms_with_chinese_template_values(aliyun_peer):
    aliyun_peer.sms.templates = {"SMS_1530001": "告警：${name} 状态 ${status}"}
    param = json.dumps({"name": "数据库 主节点", "status": "宕机 *紧急*"}, ensure_ascii=False)
    response = send_sms(aliyun_peer, template_param=param, out_id="alert-42")
    assert (response.status_code, response.body.code, response.body.message) == (200, "OK", "OK")
    assert response.body.biz_id and response.body.request_id
    sent = aliyun_peer.sms.sent[-1]
    assert sent["Content"] == "【告警中心】告警：数据库 主节点 状态 宕机 *紧急*"
    assert (sent["BizId"], sent["OutId"]) == (response.body.biz_id, "alert-42")
    assert aliyun_peer.calls_to("SendSms")[-1].params["TemplateParam"] == param


def test_send_sms_business_errors_come_back_in_a_200_answer(aliyun_peer):
    response = send_sms(aliyun_peer, phone_numbers="+85212345678")  # outside the mainland: digits only, no +
    assert (response.status_code, response.body.code) == (200, "isv.MOBILE_NUMBER_ILLEGAL")
    assert response.body.biz_id is None
    assert send_sms(aliyun_peer, template_param='{"code": 1234}').body.code == "isv.INVALID_JSON_PARAM"
    assert send_sms(aliyun_peer, template_param="{code}").body.code == "isv.INVALID_JSON_PARAM"
    aliyun_peer.sms.sign_names = {"告警中心"}
    assert send_sms(aliyun_peer, sign_name="别的签名").body.code == "isv.SMS_SIGNATURE_ILLEGAL"
    aliyun_peer.sms.templates = {"SMS_1530001": "验证码${code}"}
    assert send_sms(aliyun_peer).body.code == "isv.TEMPLATE_MISSING_PARAMETERS"
    assert aliyun_peer.sms.sent == []


def test_send_sms_accepts_the_documented_mainland_prefixes(aliyun_peer):
    response = send_sms(aliyun_peer, phone_numbers="+8613800138000,008613900139000,85212345678")
    assert response.body.code == "OK"
    assert [s["PhoneNum"] for s in aliyun_peer.sms.sent] == ["13800138000", "13900139000", "85212345678"]


def test_send_sms_without_a_required_parameter_is_a_client_error(aliyun_peer):
    with pytest.raises(ClientException) as raised:
        send_sms(aliyun_peer, sign_name="")
    assert (raised.value.status_code, raised.value.code) == (400, "MissingSignName")


def test_a_configured_error_answers_the_next_call(aliyun_peer):
    aliyun_peer.sms.fail_next("isv.BUSINESS_LIMIT_CONTROL")
    assert send_sms(aliyun_peer).body.code == "isv.BUSINESS_LIMIT_CONTROL"
    aliyun_peer.sms.fail_next("Throttling.User")
    with pytest.raises(ClientException) as raised:
        send_sms(aliyun_peer)
    assert (raised.value.status_code, raised.value.code) == (400, "Throttling.User")
    assert send_sms(aliyun_peer).body.code == "OK"
    assert len(aliyun_peer.calls_to("SendSms")) == 3 and len(aliyun_peer.sms.sent) == 1


def test_query_send_details_finds_the_send(aliyun_peer):
    biz_id = send_sms(aliyun_peer, phone_numbers="8613800138000").body.biz_id
    aliyun_peer.sms.report(aliyun_peer.sms.sent[0], success=False, err_code="MK:0001", err_msg="空号")
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d")  # the service's day (UTC+8)
    request = sms_models.QuerySendDetailsRequest(
        phone_number="13800138000", biz_id=biz_id, send_date=today, page_size=10, current_page=1
    )
    body = SmsClient(config(aliyun_peer)).query_send_details(request).body
    assert (body.code, body.total_count) == ("OK", "1")
    detail = body.sms_send_detail_dtos.sms_send_detail_dto[0]
    assert (detail.phone_num, detail.send_status, detail.err_code) == ("13800138000", 2, "MK:0001")
    assert detail.template_code == "SMS_1530001"


def test_receipts_are_pushed_as_a_json_array(aliyun_peer):
    biz_id = send_sms(aliyun_peer, out_id="7").body.biz_id
    receipt = aliyun_peer.sms.report(aliyun_peer.sms.sent[0])
    with HttpPeer() as receiver:
        status, _ = push_receipts(receiver.url + "/sms-report", [receipt])
    assert status == 200
    [pushed] = receiver.bodies("/sms-report")[0]
    assert (pushed["biz_id"], pushed["out_id"], pushed["phone_number"]) == (biz_id, "7", "13800138000")
    assert (pushed["success"], pushed["err_code"]) == (True, "DELIVERED")


# ---- voice


def call_by_tts(peer: AliyunPeer, **fields: object) -> voice_models.SingleCallByTtsResponse:
    request = {"called_number": "13800138000", "tts_code": "TTS_100001", "tts_param": '{"name":"主库"}'} | fields
    return VoiceClient(config(peer)).single_call_by_tts(voice_models.SingleCallByTtsRequest(**request))


def test_single_call_by_tts_and_its_call_detail(aliyun_peer):
    aliyun_peer.voice.tts_templates = {"TTS_100001": "${name} 告警，请处理"}
    started = int(dt.datetime.now().timestamp() * 1000) - 1000
    response = call_by_tts(aliyun_peer, called_show_number="057100001111", play_times=2, out_id="alert-42")
    assert (response.body.code, response.body.message) == ("OK", "OK") and "^" in response.body.call_id
    call = aliyun_peer.voice.placed[-1]
    assert (call["Text"], call["PlayTimes"], call["OutId"]) == ("主库 告警，请处理", 2, "alert-42")
    receipt = aliyun_peer.voice.report(call, status_code="200005", status_msg="用户未接听", duration=0)
    assert (receipt["call_id"], receipt["status_code"], receipt["duration"]) == (response.body.call_id, "200005", "0")
    detail = VoiceClient(config(aliyun_peer)).query_call_detail_by_call_id(
        voice_models.QueryCallDetailByCallIdRequest(
            call_id=response.body.call_id, prod_id=11010000138001, query_date=started
        )
    )
    data = json.loads(detail.body.data)
    assert (data["callId"], data["calleeNumber"], data["state"]) == (response.body.call_id, "13800138000", "200005")


def test_single_call_by_tts_checks_its_parameters(aliyun_peer):
    assert call_by_tts(aliyun_peer, play_times=4).body.code == "isv.INVALID_PARAMETERS"
    assert call_by_tts(aliyun_peer, out_id="x" * 16).body.code == "isv.INVALID_PARAMETERS"
    assert call_by_tts(aliyun_peer, called_number="+8613800138000").body.code == "isv.MOBILE_NUMBER_ILLEGAL"
    assert call_by_tts(aliyun_peer, tts_param="not json").body.code == "isv.TEMPLATE_PARAMS_ILLEGAL"
    aliyun_peer.voice.fail_next("isv.BUSINESS_LIMIT_CONTROL")
    assert call_by_tts(aliyun_peer).body.code == "isv.BUSINESS_LIMIT_CONTROL"
    assert aliyun_peer.voice.placed == []


# ---- RAM


def test_list_users_pages_by_marker(aliyun_peer):
    for n in range(5):
        aliyun_peer.ram.add_user(f"user{n}", display_name=f"用户{n}", email=f"user{n}@example.com")
    client, names, marker, pages = RamClient(config(aliyun_peer)), [], None, 0
    while True:
        body = client.list_users(ram_models.ListUsersRequest(max_items=2, marker=marker)).body
        names += [u.user_name for u in body.users.user]
        pages += 1
        if not body.is_truncated:
            break
        marker = body.marker
    assert (names, pages) == ([f"user{n}" for n in range(5)], 3)
    assert body.users.user[0].display_name == "用户4" and body.request_id


def test_get_user_and_the_policies_of_users_and_roles(aliyun_peer):
    aliyun_peer.ram.add_user("alice", email="alice@example.com", mobile_phone="86-13800138000")
    aliyun_peer.ram.add_role("AlertReader", description="读取告警")
    aliyun_peer.ram.attach_policy("AliyunDataWorksFullAccess", user="alice")
    aliyun_peer.ram.attach_policy("ReadOnlyAccess", role="AlertReader", policy_type="Custom")
    client = RamClient(config(aliyun_peer))
    user = client.get_user(ram_models.GetUserRequest(user_name="alice")).body.user
    assert (user.user_name, user.email, user.mobile_phone) == ("alice", "alice@example.com", "86-13800138000")
    roles = client.list_roles(ram_models.ListRolesRequest()).body
    assert roles.roles.role[0].arn == "acs:ram::1234567890123456:role/alertreader" and roles.is_truncated is False
    policies = client.list_policies_for_user(ram_models.ListPoliciesForUserRequest(user_name="alice")).body
    assert policies.policies.policy[0].policy_name == "AliyunDataWorksFullAccess"
    policies = client.list_policies_for_role(ram_models.ListPoliciesForRoleRequest(role_name="AlertReader")).body
    assert (policies.policies.policy[0].policy_name, policies.policies.policy[0].policy_type) == (
        "ReadOnlyAccess",
        "Custom",
    )
    with pytest.raises(ClientException) as raised:
        client.get_user(ram_models.GetUserRequest(user_name="bob"))
    assert (raised.value.status_code, raised.value.code) == (404, "EntityNotExist.User")


# ---- DataWorks


def test_list_projects_and_members_page_by_number(aliyun_peer):
    projects = [aliyun_peer.dataworks.add_project(f"ws_{n}", display_name=f"工作空间{n}") for n in range(3)]
    workspace = projects[0]["Id"]
    aliyun_peer.dataworks.add_member(workspace, "2001", user_name="alice", roles={"role_project_admin": "空间管理员"})
    aliyun_peer.dataworks.add_member(workspace, "2002", user_name="bob", roles={"role_project_dev": "开发"})
    client = DataWorksClient(config(aliyun_peer))
    paging = client.list_projects(dataworks_models.ListProjectsRequest(page_number=2, page_size=2)).body.paging_info
    assert (paging.page_number, paging.page_size, paging.total_count) == (2, 2, 3)
    assert [p.name for p in paging.projects] == ["ws_2"] and paging.projects[0].display_name == "工作空间2"
    request = dataworks_models.ListProjectMembersRequest(project_id=workspace, role_codes=["role_project_admin"])
    members = client.list_project_members(request).body.paging_info
    assert members.total_count == 1
    assert (members.project_members[0].user_id, members.project_members[0].roles[0].code) == (
        "2001",
        "role_project_admin",
    )
    call = aliyun_peer.calls_to("ListProjectMembers")[-1]
    assert call.body and call.params["RoleCodes"] == '["role_project_admin"]'
