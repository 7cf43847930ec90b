"""The contact journey in a real browser (rules C3, C4, C7, C8, C9)."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from contacts.tokens import activation_token_generator

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture
def outbox(settings, tmp_path, live_server):
    """Real outbox backends writing to a file, tasks run at once, links pointing at the live server."""
    settings.MAILERS = {"default": {"BACKEND": "contacts.messaging.outbox.OutboxEmailBackend"}}
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "sms": "contacts.messaging.outbox.OutboxTransport",
    }
    settings.OUTBOX_PATH = tmp_path / "outbox.jsonl"
    settings.SITE_URL = live_server.url
    settings.OUTBOX_PAGE = True  # the development page, as `make run` (DEBUG on) shows it
    return settings.OUTBOX_PATH


def newest_link(path, to):
    records = [json.loads(line) for line in path.read_text().splitlines()]
    bodies = [r["body"] for r in records if r["to"] == to and r["kind"] == "activation"]
    return re.search(r"https?://\S+/activate/\S+/", bodies[-1]).group(0)


def test_C3_C7_C9_admin_sets_phone_contact_activates_on_a_phone(
    browser_demo, outbox, page, browser, live_server, sign_in_page, shot
):
    sign_in_page("dw-admin")
    page.click("text=Go to Management Center")
    row = page.locator('tr[data-principal="alice"]')
    row.locator("text=Edit").click()

    # C4: a number without its country code is refused, with an accepted example.
    page.fill("#id_phone", "13912345678")
    page.click("text=Confirm")
    expect(page.locator("#id_phone_error")).to_contain_text("8613912345678")
    shot(page, "refused-national-number")

    page.fill("#id_phone", "8613912345678")
    page.click("text=Confirm")
    expect(page.locator(".message")).to_contain_text("activation link is queued for sending")
    expect(row).to_contain_text("+8613912345678")
    expect(row).to_contain_text("Waiting for Activation")
    shot(page, "waiting")

    # The demo visitor opens the Outbox page and finds the text message with its link.
    page.click("text=Outbox")
    expect(page.locator("table.outbox")).to_contain_text("+8613912345678")
    link = page.locator("table.outbox a[href*='/activate/']").first.get_attribute("href")
    assert link == newest_link(outbox, "+8613912345678")
    shot(page, "outbox")

    # The contact, not signed in, on a phone-sized screen. The link's token moves into the session:
    # the page is served at a token-less address and gives other sites no Referer (C9).
    phone = browser.new_context(**PHONE)
    mobile = phone.new_page()
    response = mobile.goto(link)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert mobile.url.endswith("/confirm/") and token not in mobile.url
    assert response.request.redirected_from.url == link
    assert response.request.redirected_from.response().headers["referrer-policy"] == "no-referrer"
    assert response.headers["referrer-policy"] == "same-origin"
    expect(mobile.locator("h1")).to_have_text("Activate this contact method")
    expect(mobile.locator("main")).to_contain_text("+86 139****5678")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    shot(mobile, "confirm-on-phone")
    mobile.get_by_role("button", name="Activate").click()
    expect(mobile.locator("h1")).to_have_text("Activated")
    assert token not in mobile.url
    shot(mobile, "activated-on-phone")
    mobile.goto(link)
    expect(mobile.locator("h1")).to_have_text("This activation link has already been used")
    phone.close()

    page.goto(
        f"{live_server.url}/workspaces/{browser_demo['workspaces']['demo_workspace'].pk}/alert-contacts/ram-users/"
    )
    expect(page.locator('tr[data-principal="alice"]')).to_contain_text("Activated")
    expect(page.locator('tr[data-principal="alice"]')).not_to_contain_text("Waiting for Activation")
    shot(page, "activated-in-list")


def test_C8_C9_expired_link_shows_the_expired_page(browser_demo, outbox, browser, live_server, monkeypatch, shot):
    from contacts.models import Principal
    from contacts.services import contact_update

    carol = Principal.objects.get(account__name="demo-intl", name="carol")
    contact_update(principal=carol, phone="", email="carol.new@example.com", language="zh-hans")
    link = newest_link(outbox, "carol.new@example.com")
    later = timezone.now() + timedelta(seconds=86401)
    monkeypatch.setattr(activation_token_generator, "_now", lambda: later)
    context = browser.new_context(**PHONE, locale="zh-CN")
    mobile = context.new_page()
    mobile.goto(link)
    expect(mobile.locator("h1")).to_have_text("此激活链接已过期")
    expect(mobile.locator("main")).to_contain_text("重新发送")
    expect(mobile.locator("main")).not_to_contain_text("carol")
    shot(mobile, "expired-zh")
    context.close()


def test_A3_contacts_viewer_sees_no_edit(browser_demo, page, sign_in_page, shot):
    sign_in_page("contacts-viewer")
    page.click("text=Go to Management Center")
    expect(page.locator("table.grid")).to_contain_text("alice")
    expect(page.locator("table.grid >> text=Edit")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("You can view contacts but not change them.")
    shot(page)


def test_D6_D10_alert_history_shows_the_fallback_path(
    browser_demo, outbox, page, live_server, sign_in_page, settings, shot
):
    from alerts.dispatch import deliveries_process
    from alerts.intake import alert_accept

    settings.OUTBOX_UNDELIVERABLE = ["*.invalid", "oncall@*"]
    alert_accept(
        workspace=browser_demo["workspaces"]["demo_workspace"],
        title="Node etl_daily failed",
        recipients=["alice", "dave"],
        channels=["email", "sms"],
        severity="critical",
    )
    deliveries_process()
    sign_in_page("alert-admin")
    page.click("text=Go to Management Center")
    page.click(".sidenav >> text=Alert History")
    row = page.locator("tr[data-alert]").first
    expect(row).to_contain_text("Node etl_daily failed")
    expect(row.locator("[data-failed]")).to_have_text("3")  # dave's email, OnCallBackup's email, dave's sms
    shot(page, "history-en")
    row.locator("a", has_text="Node etl_daily failed").click()
    expect(page.locator("h1")).to_contain_text("Node etl_daily failed")
    chain = page.locator("ol.chain").first
    expect(chain.locator(".chain-step")).to_have_count(3)  # dave → OnCallBackup → the account recipient
    expect(chain).to_contain_text("Basic Receiving Management recipient")
    expect(page.locator("main")).to_contain_text(
        "The primary and the alternate alert contact did not receive this alert."
    )
    expect(page.locator('tr[data-status="SEND_FAIL"]')).to_have_count(3)
    shot(page, "alert-detail-en")
    page.select_option("#language-select", "zh-hans")
    page.click(".topbar form:has(#language-select) button")
    expect(page.locator("main")).to_contain_text("备用告警联系人")
    shot(page, "alert-detail-zh")
    page.click(".sidenav >> text=告警历史")
    expect(page.locator("h1")).to_have_text("告警历史")
    page.select_option("#id_status", "SEND_OVERLIMIT")
    page.click("text=筛选")
    expect(page.locator("tr[data-alert]")).to_have_count(0)
    shot(page, "history-zh-filtered")


def test_D9_set_a_limit_then_see_overlimit_in_the_history(browser_demo, outbox, page, live_server, sign_in_page, shot):
    from alerts.dispatch import deliveries_process
    from alerts.intake import alert_accept

    sign_in_page("alert-admin")
    page.click("text=Go to Management Center")
    page.click(".sidenav >> text=Alert Resources")
    page.fill("#id_max_sms_per_day", "1")
    page.click("text=Save")
    expect(page.locator(".message")).to_contain_text("Daily limits saved.")
    ws = browser_demo["workspaces"]["demo_workspace"]
    for title in ("First SMS", "Second SMS"):
        alert_accept(workspace=ws, title=title, recipients=["alice"], channels=["sms"])
    deliveries_process()
    page.reload()
    expect(page.locator("table.usage")).to_contain_text("1")
    shot(page, "resources")
    page.click(".sidenav >> text=Alert History")
    expect(page.locator("tr[data-alert]", has_text="First SMS").locator("[data-delivered]")).to_have_text("1")
    page.locator("tr[data-alert] a", has_text="Second SMS").click()
    expect(page.locator('tr[data-status="SEND_OVERLIMIT"]')).to_have_count(1)
    expect(page.locator('[data-reason="OVER_DAILY_LIMIT"]')).to_contain_text("The daily maximum for this channel")
    shot(page, "history-overlimit")


def test_C3_two_administrators_edit_at_once_nothing_is_lost_unseen(
    browser_demo, outbox, page, browser, live_server, sign_in_page, shot
):
    """Two browsers open Edit for alice; the second Confirm is stale: it saves nothing, shows what
    the first saved, by whom, and keeps its own values; Confirm again saves them."""
    ws = browser_demo["workspaces"]["demo_workspace"]
    alice = browser_demo["principals"][("intl", "alice")]
    edit = f"{live_server.url}/workspaces/{ws.pk}/alert-contacts/{alice.pk}/edit/"
    sign_in_page("dw-admin")
    page.goto(edit)
    other_context = browser.new_context()
    other = sign_in_page("owner", target=other_context.new_page())
    other.goto(edit)
    other.fill("#id_email", "owner.set.this@example.com")
    other.select_option("#id_language", "en")
    other.click("text=Confirm")
    expect(other.locator(".message")).to_contain_text("Saved")
    other_context.close()

    page.fill("#id_email", "mine@example.com")
    page.click("text=Confirm")
    expect(page.locator("#conflict")).to_contain_text("Not saved: owner changed this at")
    expect(page.locator("#conflict")).to_contain_text("owner.set.this@example.com")
    expect(page.locator("#id_email")).to_have_value("mine@example.com")
    shot(page, "conflict")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".message")).to_contain_text("activation link is queued for sending")
    expect(page.locator('tr[data-principal="alice"]')).to_contain_text("mine@example.com")
