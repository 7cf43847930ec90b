"""axe-core on every console page in English and Simplified Chinese (issue 13's accessibility bar):
a critical or serious violation fails the test. Counts per page go to test-artifacts/axe-counts.json."""

import json

import pytest

from .axe import axe_violations, serious
from .conftest import ARTIFACTS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

LANGUAGES = ["en", "zh-hans"]


def alert_of(ws):
    """An alert with a fallback chain: dave's email fails, OnCallBackup's goes out instead."""
    from alerts.dispatch import deliveries_process
    from alerts.intake import alert_accept
    from alerts.models import Alert

    alert = Alert.objects.filter(workspace=ws).first()
    if alert is None:
        alert = alert_accept(workspace=ws, title="Disk full", recipients=["alice", "dave"], channels=["email"])
        deliveries_process()
    return alert


def console_pages(demo):
    ws = demo["workspaces"]["demo_workspace"]
    alice = demo["principals"][("intl", "alice")]
    return {
        "management-center": "/management-center/",
        "ram-users": f"/workspaces/{ws.pk}/alert-contacts/ram-users/",
        "ram-roles": f"/workspaces/{ws.pk}/alert-contacts/ram-roles/",
        "edit-contact": f"/workspaces/{ws.pk}/alert-contacts/{alice.pk}/edit/",
        "alert-history": f"/workspaces/{ws.pk}/alert-history/",
        "alert-detail": f"/workspaces/{ws.pk}/alert-history/{alert_of(ws).pk}/",
        "alert-resources": f"/workspaces/{ws.pk}/alert-resources/",
        "api-tokens": f"/workspaces/{ws.pk}/api-tokens/",
        "custom-webhook": f"/workspaces/{ws.pk}/custom-webhook/",
        "outbox": "/outbox/",
        "not-found": "/no-such-page/",
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_axe_finds_no_serious_violation_on_any_console_page(
    language, browser_demo, settings, browser, live_server, request
):
    settings.OUTBOX_PAGE = True
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    found, counts = {}, {}

    page.goto(f"{live_server.url}/accounts/login/")
    counts["sign-in"] = axe_violations(page)
    page.fill("#id_username", "dw-admin")
    page.fill("#id_password", "demo")
    page.click(".signin button[type=submit]")
    for name, path in console_pages(browser_demo).items():
        page.goto(live_server.url + path)
        counts[name] = axe_violations(page)
    page.goto(live_server.url + console_pages(browser_demo)["edit-contact"])
    page.fill("#id_phone", "13912345678")
    page.locator("main button.btn-primary").click()
    counts["edit-contact-with-errors"] = axe_violations(page)
    context.close()

    for name, violations in counts.items():
        if lines := serious(violations):
            found[name] = lines
    summary = {
        name: {
            impact: sum(1 for v in vs if v["impact"] == impact)
            for impact in ("critical", "serious", "moderate", "minor")
        }
        for name, vs in counts.items()
    }
    ARTIFACTS.parent.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS.parent / f"axe-counts-{language}.json").write_text(json.dumps(summary, indent=1))
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)
