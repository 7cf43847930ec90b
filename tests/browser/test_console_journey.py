"""The console path in a real browser (rules T1, T2, T3, A4)."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_T1_T2_T3_sign_in_switch_region_and_language_then_open_alert_contacts(
    browser_demo, page, live_server, sign_in_page, shot
):
    sign_in_page("dw-admin")
    expect(page.locator("h1")).to_have_text("Management Center")
    shot(page, "management-center")

    # T1: the region in the top bar narrows the workspace list; choosing one changes nothing until
    # Switch is pressed (WCAG 3.2.2).
    page.select_option("#region-select", "ap-southeast-1")
    expect(page.locator("#workspace-select")).to_contain_text("demo_workspace")
    page.click(".topbar form:has(#region-select) button")
    expect(page.locator("#workspace-select")).to_contain_text("analytics_sg")
    expect(page.locator("#workspace-select")).not_to_contain_text("demo_workspace")
    page.select_option("#region-select", "cn-hangzhou")
    page.click(".topbar form:has(#region-select) button")
    expect(page.locator("#workspace-select")).to_contain_text("demo_workspace")

    # T3: the language switch.
    page.select_option("#language-select", "zh-hans")
    page.click(".topbar form:has(#language-select) button")
    expect(page.locator("h1")).to_have_text("管理中心")
    shot(page, "management-center-zh")

    page.select_option("#workspace-select", label="demo_workspace")
    page.click("text=进入管理中心")
    expect(page.locator(".sidenav")).to_contain_text("告警设置")
    page.click(".sidenav >> text=告警联系人")
    expect(page.locator("h1")).to_have_text("告警联系人")
    expect(page.locator("table.grid")).to_contain_text("alice")
    page.click(".tabs >> text=RAM 角色")
    expect(page).to_have_url(re.compile(r"/alert-contacts/ram-roles/$"))
    expect(page.locator("table.grid")).to_contain_text("OnCallBackup")
    shot(page, "alert-contacts-zh")

    page.select_option("#language-select", "en")
    page.click(".topbar form:has(#language-select) button")
    expect(page.locator("h1")).to_have_text("Alert Contacts")
    shot(page, "alert-contacts-en")


def test_T1_console_works_without_javascript(browser_demo, browser, live_server, shot):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "demo")
    page.click(".signin button[type=submit]")
    page.select_option("#region-select", "ap-southeast-1")
    page.click(".topbar form:has(#region-select) button")
    expect(page.locator("#workspace-select")).to_contain_text("analytics_sg")
    page.click("text=Go to Management Center")
    expect(page.locator("h1")).to_have_text("Alert Contacts")
    shot(page)
    context.close()


def test_A4_forbidden_identity_sees_the_roles_that_grant_access(browser_demo, page, live_server, sign_in_page, shot):
    sign_in_page("developer")
    page.click("text=Go to Management Center")
    expect(page.locator("h1")).to_have_text("You do not have access to this page")
    expect(page.locator("main")).to_contain_text("AliyunDataWorksFullAccess")
    expect(page.locator("main")).to_contain_text("security administrator")
    shot(page)
