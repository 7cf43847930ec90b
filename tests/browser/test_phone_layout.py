"""The console on a phone (issue 13): content first, navigation behind a menu button that works
without JavaScript, contacts as cards with targets of at least 44×44 px, no sideways scrolling."""

import pytest
from playwright.sync_api import expect

from .axe import axe_violations, serious

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True}


@pytest.mark.parametrize("javascript", [True, False])
def test_C1_contacts_on_a_phone(javascript, browser_demo, browser, live_server, shot):
    context = browser.new_context(**PHONE, java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "dw-admin")
    page.fill("#id_password", "demo")
    page.click(".signin button[type=submit]")
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
