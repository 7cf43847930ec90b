"""The console on a phone (issue 13): content first, navigation behind a menu button that works
without JavaScript, contacts as cards with targets of at least 44×44 px, no sideways scrolling."""

import pytest
from playwright.sync_api import expect

from .axe import axe_violations, serious

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True}


def phone_signed_in(browser, live_server, username, **options):
    """A new phone-sized browser context, signed in as `username` with the demo password."""
    context = browser.new_context(**PHONE, **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo")
    page.click(".signin button[type=submit]")
    return context, page


@pytest.mark.parametrize("javascript", [True, False])
def test_C1_contacts_on_a_phone(javascript, browser_demo, browser, live_server, shot):
    context, page = phone_signed_in(browser, live_server, "dw-admin", java_script_enabled=javascript)
    page.click("text=Go to Management Center")
    expect(page.locator("h1")).to_have_text("Alert Contacts")

    nav_link = page.locator(".sidenav a", has_text="Alert History")
    expect(nav_link).to_be_hidden()  # behind the menu button; the content comes first
    if javascript:  # evaluate needs JavaScript in the page
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    row = page.locator('tr[data-principal="alice"]')
    for target in (row.locator("a.op", has_text="Edit"), row.locator("summary")):
        box = target.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box
    row.locator("summary").click()
    expect(row.locator("button", has_text="Test email")).to_be_visible()
    shot(page, "more-open")
    if javascript:
        assert not serious(axe_violations(page))

    page.locator(".navmenu > summary").click()
    expect(nav_link).to_be_visible()
    nav_link.click()
    expect(page.locator("h1")).to_have_text("Alert History")
    context.close()


def test_D10_alert_history_and_deliveries_on_a_phone(browser_demo, browser, live_server, shot):
    """The alert history and an alert's deliveries on a phone: each alert and each delivery is a
    card with every value under its label, inside the screen (they were ten-column tables that hid
    the address, status and reason off to the side, and squeezed a title to one word a line)."""
    from alerts.intake import alert_accept

    ws = browser_demo["workspaces"]["demo_workspace"]
    alert = alert_accept(
        workspace=ws, title="Disk full on db-1", recipients=["alice", "bob"], channels=["email", "sms"]
    )
    context, page = phone_signed_in(browser, live_server, "owner")
    page.goto(f"{live_server.url}/workspaces/{ws.pk}/alert-history/")
    title = page.locator(f'tr[data-alert="{alert.pk}"] a', has_text="Disk full on db-1")
    box = title.bounding_box()
    assert box["height"] < 30 and box["x"] + box["width"] <= 375, box  # one line, on the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "history")

    title.click()
    expect(page.locator("h1")).to_contain_text("Disk full on db-1")
    for delivery in alert.deliveries.all():
        row = page.locator(f'tr[data-delivery="{delivery.pk}"]')
        for cell in (row.locator("td[data-label]").nth(3), row.locator("td[data-label]").nth(5)):  # address, status
            box = cell.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert not serious(axe_violations(page))
    shot(page, "deliveries")
    context.close()
