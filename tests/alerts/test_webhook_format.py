"""The custom webhook speaks DataWorks' documented custom-webhook format (rules D4, I3): the
`message` object with title, remind_name, remind_unit, remind_type (the trigger condition),
occur_time, more_information (a URL) and project_name; our own fields under their own names."""

import hashlib
import hmac
import re
from datetime import datetime

import pytest
from django.urls import reverse

from alerts.dispatch import deliveries_process
from alerts.intake import alert_accept
from alerts.models import Alert
from contacts.models import Principal

DATAWORKS_FIELDS = {
    "title",
    "remind_name",
    "remind_unit",
    "remind_type",
    "occur_time",
    "more_information",
    "project_name",
}
OURS = {"time_zone", "severity", "content", "alert_id"}


def send(ws, to, channels, **kwargs):
    fields = {
        "title": "Node etl_daily failed",
        "content": "See the run log",
        "rule": "etl rule",
        "severity": "critical",
    }
    alert = alert_accept(workspace=ws, recipients=to, channels=channels, **{**fields, **kwargs})
    deliveries_process()
    return alert


def test_D4_push_carries_dataworks_fields_with_their_meaning(ws, webhook, http_peer, settings):
    """D4: remind_unit present, remind_type the trigger condition, more_information a URL, severity
    and content under their own names, occur_time with its zone."""
    settings.TIME_ZONE = "Asia/Shanghai"
    alert = send(ws, ["bob"], ["sms"])
    (push,) = http_peer.bodies("/hook")
    message = push["message"]
    assert set(message) == DATAWORKS_FIELDS | OURS
    assert message["title"] == "Node etl_daily failed" and message["remind_name"] == "etl rule"
    assert message["remind_unit"] == "Workspace"
    assert message["remind_type"] == "firing"
    assert message["severity"] == "critical" and message["content"] == "See the run log"
    assert message["project_name"] == "demo_workspace" and message["alert_id"] == alert.pk
    assert message["more_information"] == f"http://testserver/workspaces/{ws.pk}/alert-history/?alert={alert.pk}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", message["occur_time"])  # DataWorks' format
    assert message["time_zone"] == "+08:00"
    moment = datetime.fromisoformat(message["occur_time"] + message["time_zone"])
    assert abs((moment - alert.created_at).total_seconds()) < 1
    delivery = alert.deliveries.get()
    assert push["delivery_id"] == delivery.pk and push["test"] is False
    assert push["recipient"] == {
        "name": "Bob Chan",
        "number": "+85291234567",
        "language": "en",
        "channel": "sms",
        "text": push["recipient"]["text"],
    }
    assert push["recipient"]["text"].startswith("[DataWorks] Node etl_daily failed (demo_workspace, ")


def test_D4_zone_follows_time_zone_setting(ws, webhook, http_peer, settings):
    """D4: occur_time is local time in TIME_ZONE and time_zone is its offset."""
    settings.TIME_ZONE = "America/New_York"
    alert = send(ws, ["bob"], ["sms"])
    message = http_peer.bodies("/hook")[0]["message"]
    assert message["time_zone"] in ("-05:00", "-04:00")
    assert datetime.fromisoformat(message["occur_time"] + message["time_zone"]).timestamp() == pytest.approx(
        alert.created_at.timestamp(), abs=1
    )


def test_D4_D3_recipient_text_is_in_the_recipient_language(ws, webhook, http_peer):
    """D4, D3: the text to forward is already written in the recipient's language."""
    Principal.objects.filter(name="bob").update(language="zh-hans")
    send(ws, ["bob"], ["sms", "voice"], resolved=True)
    pushes = {p["recipient"]["channel"]: p for p in http_peer.bodies("/hook")}
    assert pushes["sms"]["recipient"]["language"] == "zh-hans"
    assert pushes["sms"]["recipient"]["text"].startswith("【DataWorks】【已恢复】Node etl_daily failed")
    assert (
        pushes["voice"]["recipient"]["text"]
        == "DataWorks 工作空间 demo_workspace 的告警已恢复：Node etl_daily failed。"
    )
    assert {p["message"]["remind_type"] for p in pushes.values()} == {"resolved"}


def test_D4_workspace_channel_push_has_no_recipient(ws, webhook, http_peer):
    """D4: the `webhook` channel itself pushes the message without a recipient."""
    send(ws, ["alice"], ["webhook"])
    (push,) = http_peer.bodies("/hook")
    assert set(push) == {"message", "delivery_id", "test"}
    assert set(push["message"]) == DATAWORKS_FIELDS | OURS


def test_D10_more_information_opens_that_alert_in_the_history(ws, webhook, http_peer, sign_in):
    """D10: the link of more_information shows the alert, and only it, to those allowed."""
    first = send(ws, ["bob"], ["sms"], title="First alert")
    send(ws, ["bob"], ["sms"], title="Second alert")
    link = http_peer.bodies("/hook")[0]["message"]["more_information"]
    path = link.removeprefix("http://testserver")
    html = sign_in("dw-admin").get(path).content.decode()
    assert f'id="alert-{first.pk}"' in html and "First alert" in html
    assert "Second alert" not in html
    assert sign_in("developer").get(path).status_code == 403


@pytest.mark.parametrize("value", ["abc", "-1", "0", "99999999999999999999999"])
def test_E1_bad_alert_filter_is_a_clear_message(ws, sign_in, value):
    """E1: a bad alert id in the history's query string is refused with a message, never a 500."""
    response = sign_in("dw-admin").get(reverse("alerts:alert_history", args=[ws.pk]), {"alert": value})
    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()


def test_I3_test_push_has_the_same_shape_as_an_alert_push(ws, webhook, http_peer, sign_in):
    """I3: Test connectivity pushes DataWorks' message shape, signed, marked as a test."""
    send(ws, ["alice"], ["webhook"])
    html = sign_in("dw-admin").post(reverse("alerts:webhook", args=[ws.pk]), {"action": "test"}).content.decode()
    assert "Test push delivered" in html
    alert_push, test_push = http_peer.bodies("/hook")
    assert set(test_push) == set(alert_push)
    assert set(test_push["message"]) == set(alert_push["message"])
    assert test_push["test"] is True and alert_push["test"] is False
    message = test_push["message"]
    assert message["content"] == "DataWorks Workbench Alarm Connectivity Test"  # DataWorks' own test content
    assert message["remind_type"] == "test" and message["remind_unit"] == "Workspace"
    assert message["project_name"] == "demo_workspace" and message["time_zone"]
    assert message["more_information"] == f"http://testserver/workspaces/{ws.pk}/custom-webhook/"
    request = http_peer.requests[-1]
    assert (
        request["headers"]["X-Signature"]
        == "sha256=" + hmac.new(b"s3cret", request["body"], hashlib.sha256).hexdigest()
    )
    assert Alert.objects.count() == 1  # the test push stores no alert


def test_D4_readme_example_has_the_shape_of_a_real_push(ws, webhook, http_peer):
    """D4: the example body in the README is the shape that is sent, and its signature recipe works."""
    import json
    from pathlib import Path

    readme = Path(__file__).resolve().parents[2].joinpath("README.md").read_text()
    section = readme.split("### The custom webhook push", 1)[1]
    example = json.loads(section.split("```json", 1)[1].split("```", 1)[0])
    recipe = section.split("```python", 1)[1].split("```", 1)[0]
    send(ws, ["bob"], ["sms"])
    request = http_peer.requests[-1]
    push = json.loads(request["body"])
    assert set(example) == set(push)
    for part in ("message", "recipient"):
        assert set(example[part]) == set(push[part])
    scope = {}
    exec(recipe, scope)  # noqa: S102 (the README's own few lines)
    assert scope["signed_by_us"](request["body"], request["headers"]["X-Signature"], "s3cret")
    assert not scope["signed_by_us"](request["body"] + b" ", request["headers"]["X-Signature"], "s3cret")
