"""What bad input is told, word for word, in English and in Chinese (E1, I1, I2): the API's answers
(the schema's own words for what the schema refuses, the console's translated words for the
business rules) and alert_accept's refusals to every other source (console, command line)."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from alerts.api_tokens import api_token_create
from alerts.intake import alert_accept
from alerts.models import Alert, ApiToken

NOT_BLANK = r'does not match "[^\s\x1c-\x1f\x85]"'
NO_NUL = r'does not match "^[^\x00]*$"'
# Translated messages: (English, Chinese).
UNKNOWN = ("Not a RAM user or RAM role of this workspace: {}.", "不是本工作空间的 RAM 用户或 RAM 角色：{}。")
NONE_NAMED = ("Name at least one recipient.", "请至少指定一个接收人。")
CHANNELS = ("Choose channels among email, sms, voice and webhook.", "请从 email、sms、voice、webhook 中选择渠道。")
TITLE_REQUIRED = ("A title is required.", "标题不能为空。")
TITLE_LONG = ("The title is longer than 200 characters.", "标题超过 200 个字符。")
AT_MOST = ("At most {} characters.", "最多 {} 个字符。")
NUL = ("must not contain NUL characters", "不能包含 NUL 字符")
UNICODE = ("must be valid Unicode text", "必须是有效的 Unicode 文本")
NOBODY_LEFT = (
    "no recipient of this receiver is a RAM user or RAM role of the workspace: {}",
    "此接收器的接收人都不是本工作空间的 RAM 用户或 RAM 角色：{}",
)
LANGUAGES = {"en": 0, "zh-hans": 1}


def said(errors, language):
    """`errors` with every translated message in `language`."""
    index = LANGUAGES[language]
    return {
        field: [m if isinstance(m, str) else m[0][index].format(*m[1:]) for m in messages]
        for field, messages in errors.items()
    }


BODY = {"recipients": ["alice"], "channels": ["email"]}
API_CASES = [
    (b"not json", {"body": ["the body is not valid JSON"]}),
    (b"[1, 2]", {"body": ["the body must be a JSON object"]}),
    (b"", {"body": ["the body must be a JSON object"]}),
    (b'{"title": "\\ud800", "recipients": ["alice"]}', {"body": ["the body holds text that is not valid Unicode"]}),
    ({**BODY, "title": ""}, {"title": ['"" is shorter than 1 character', f'"" {NOT_BLANK}']}),
    ({**BODY, "title": "   "}, {"title": [f'"   " {NOT_BLANK}']}),
    ({**BODY, "title": "t", "recipients": "alice"}, {"recipients": ['"alice" is not of type "array"']}),
    (
        {"title": "t", "recipients": ["ghost"], "channels": ["fax"]},
        {
            "channels": ['channels[0]: "fax" is not one of "email", "sms" or 2 other candidates'],
            "recipients": [(UNKNOWN, "ghost")],
        },
    ),
    (
        {**BODY, "title": "t", "recipients": ["ghost", "alice", "role:Nope"]},
        {"recipients": [(UNKNOWN, "ghost, role:Nope")]},
    ),
    (
        {**BODY, "title": "", "recipients": ["ghost"]},
        {"title": ['"" is shorter than 1 character', f'"" {NOT_BLANK}'], "recipients": [(UNKNOWN, "ghost")]},
    ),
    (
        {**BODY, "title": 5, "recipients": [1]},
        {"title": ['5 is not of type "string"'], "recipients": ['recipients[0]: 1 is not of type "string"']},
    ),
    ({**BODY, "title": "t", "extra": 1}, {"body": ["Additional properties are not allowed ('extra' was unexpected)"]}),
    ({**BODY, "title": "x" * 201}, {"title": [f'"{"x" * 201}" is longer than 200 characters']}),
    (
        {**BODY, "title": "a\x00b", "content": "c\x00"},
        {"title": [rf'"a\u0000b" {NO_NUL}'], "content": [rf'"c\u0000" {NO_NUL}']},
    ),
    (
        {**BODY, "title": "t", "rule": "r" * 201, "severity": "s" * 21},
        {
            "rule": [f'"{"r" * 201}" is longer than 200 characters'],
            "severity": [f'"{"s" * 21}" is longer than 20 characters'],
        },
    ),
    (
        {"title": "t", "recipients": [], "channels": []},
        {"recipients": ["[] has less than 1 item"], "channels": ["[] has less than 1 item"]},
    ),
    (  # NEL is white space to Python's str.strip(): found by the schemathesis run (I1)
        {**BODY, "title": "t", "recipients": ["\x85"]},
        {"recipients": [f'recipients[0]: "\x85" {NOT_BLANK}']},
    ),
    (
        {**BODY, "title": "t", "recipients": [""]},
        {"recipients": ['recipients[0]: "" is shorter than 1 character', f'recipients[0]: "" {NOT_BLANK}']},
    ),
    (
        {"title": "t", "recipients": ["  "], "channels": ["EMAIL"]},
        {
            "recipients": [f'recipients[0]: "  " {NOT_BLANK}'],
            "channels": ['channels[0]: "EMAIL" is not one of "email", "sms" or 2 other candidates'],
        },
    ),
    (BODY, {"body": ['"title" is a required property']}),
    (
        {},
        {
            "body": [
                '"title" is a required property',
                '"recipients" is a required property',
                '"channels" is a required property',
            ]
        },
    ),
]


@pytest.fixture
def token(ws):
    return api_token_create(workspace=ws, name="monitoring")[1]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("body, errors", API_CASES)
def test_I1_E1_the_api_names_each_bad_field_in_the_same_words(client, token, language, body, errors):
    data = body if isinstance(body, bytes) else json.dumps(body)
    response = client.post(
        "/api/v1/alerts",
        data=data,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Accept-Language": language},
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid request", "errors": said(errors, language)}
    assert not Alert.objects.exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_I1_E1_an_idempotency_key_over_the_limit_is_named(client, token, language):
    response = client.post(
        "/api/v1/alerts",
        data=json.dumps({**BODY, "title": "t"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Accept-Language": language, "Idempotency-Key": "k" * 201},
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid request", "errors": {"Idempotency-Key": ["at most 200 characters"]}}


ACCEPT_CASES = [
    ({**BODY, "title": ""}, {"title": [(TITLE_REQUIRED,)]}),
    ({**BODY, "title": "   "}, {"title": [(TITLE_REQUIRED,)]}),
    ({**BODY, "title": "\x85"}, {"title": [(TITLE_REQUIRED,)]}),  # white space to Python's str.strip()
    ({**BODY, "title": "x" * 201}, {"title": [(TITLE_LONG,)]}),
    (
        {**BODY, "title": "t", "rule": "r" * 201, "severity": "s" * 21},
        {"rule": [(AT_MOST, 200)], "severity": [(AT_MOST, 20)]},
    ),
    ({**BODY, "title": "a\x00", "rule": "r" * 201}, {"title": [(NUL,)]}),  # text that cannot be stored comes first
    ({**BODY, "title": "t", "content": "\ud800"}, {"content": [(UNICODE,)]}),
    ({**BODY, "title": "t", "recipients": ["a\x00"]}, {"recipients": [(NUL,)]}),
    ({**BODY, "title": "t", "recipients": ["a\ud800"]}, {"recipients": [(UNICODE,)]}),
    (
        {**BODY, "title": "t", "recipients": ["ghost", "alice", "role:Nope"]},
        {"recipients": [(UNKNOWN, "ghost, role:Nope")]},
    ),
    ({**BODY, "title": "t", "recipients": ["", "  "]}, {"recipients": [(UNKNOWN, ",   ")]}),
    ({**BODY, "title": "t", "recipients": []}, {"recipients": [(NONE_NAMED,)]}),
    ({**BODY, "title": "t", "channels": ["pigeon"]}, {"channels": [(CHANNELS,)]}),
    ({**BODY, "title": "t", "channels": []}, {"channels": [(CHANNELS,)]}),
    (
        {"title": "", "recipients": ["ghost"], "channels": ["pigeon"]},
        {"title": [(TITLE_REQUIRED,)], "channels": [(CHANNELS,)], "recipients": [(UNKNOWN, "ghost")]},
    ),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("fields, errors", ACCEPT_CASES)
def test_E1_alert_accept_names_each_bad_field_in_the_readers_language(ws, language, fields, errors):
    with translation.override(language), pytest.raises(ValidationError) as refused:
        alert_accept(workspace=ws, **fields)
    with translation.override(language):
        assert {field: [str(m) for m in messages] for field, messages in refused.value.message_dict.items()} == said(
            errors, language
        )
    assert not Alert.objects.exists()


def test_E1_alert_accept_takes_a_title_padded_to_the_limit_and_channels_in_any_case(ws):
    alert = alert_accept(workspace=ws, title=" " + "x" * 200, recipients=["alice"], channels=["EMAIL", " sms"])
    assert alert.title == "x" * 200 and alert.channels == ["email", "sms"]


RECEIVER_CASES = [
    ({"version": "3", "alerts": []}, {"version": ['"3" is not one of "4"']}),
    ({"version": "4", "alerts": "nope"}, {"alerts": ['"nope" is not of type "array"']}),
    ({"version": "4", "alerts": [1]}, {"alerts": ['alerts[0]: 1 is not of type "object"']}),
    ({"alerts": []}, {"body": ['"version" is a required property']}),
    ({"version": 4, "alerts": []}, {"version": ['4 is not of type "string"', '4 is not one of "4"']}),
    ({"version": "4", "alerts": [{"labels": {"a": 1}}]}, {"alerts": ['alerts[0].labels.a: 1 is not of type "string"']}),
    (
        {"version": "4", "status": "x", "alerts": [{"status": "y"}]},
        {
            "status": ['"x" is not one of "firing" or "resolved"'],
            "alerts": ['alerts[0].status: "y" is not one of "firing" or "resolved"'],
        },
    ),
]


@pytest.fixture
def receiver(ws):
    return api_token_create(
        workspace=ws, name="am", kind=ApiToken.Kind.ALERTMANAGER, recipients=["alice"], channels=["email"]
    )[1]


def receive(client, receiver, body, language):
    return client.post(
        "/api/v1/alertmanager",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {receiver}", "Accept-Language": language},
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("body, errors", RECEIVER_CASES)
def test_I2_E1_the_receiver_names_each_bad_field_in_the_same_words(client, receiver, language, body, errors):
    response = receive(client, receiver, body, language)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid request", "errors": errors}


@pytest.mark.parametrize("language", LANGUAGES)
def test_I2_E1_the_receiver_says_when_none_of_its_recipients_remains(client, ws, receiver, language):
    ws.memberships.filter(principal__name="alice").delete()
    response = receive(client, receiver, {"version": "4", "alerts": [{"labels": {"alertname": "x"}}]}, language)
    assert response.status_code == 400
    errors = {"recipients": [(NOBODY_LEFT, "alice")]}
    assert response.json() == {"error": "invalid request", "errors": said(errors, language)}
