"""Sign in with Alibaba Cloud end to end in Chromium (T2, C12): the console's button, the OpenID
Provider's own sign-in and consent pages (oidc-provider, tests/oidc_provider), the callback, and
Management Center as the mapped identity, with the contact refreshed from RAM (tests/aliyun_peer.py)."""

import pytest
from playwright.sync_api import expect

from tests.aliyun_peer import aliyun_peer  # noqa: F401 - the fixture
from tests.oidc_peer import OidcProvider, oidc_configured, ram_peer_configured, require_provider

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

DW_ADMIN_UID = "216959339000654301"


@pytest.fixture(scope="session")
def oidc_live_provider(live_server):
    """A provider whose client returns to the live server (the browser's origin, exactly)."""
    require_provider()
    with OidcProvider([f"{live_server.url}/oidc/callback/"]) as provider:
        yield provider


@pytest.fixture
def live_oidc(settings, oidc_live_provider, monkeypatch):
    monkeypatch.setattr("alibabacloud_credentials.utils.auth_util.environment_ecs_metadata_disabled", "true")
    yield from oidc_configured(settings, oidc_live_provider)


@pytest.fixture
def ram(settings, monkeypatch, aliyun_peer, tmp_path, browser_demo):  # noqa: F811 - the imported fixture
    ram_peer_configured(settings, monkeypatch, aliyun_peer, tmp_path)
    return aliyun_peer.ram


@pytest.fixture
def loopback_only(page):
    """Nothing leaves the machine: the provider's pages @import a web font, which is refused."""
    refused = []

    def handle(route):
        if route.request.url.startswith(("http://127.0.0.1:", "http://localhost:")):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.context.route("**/*", handle)
    return refused


def provider_sign_in(page, login):
    """The provider's sign-in page (any password for a listed login), then its consent page."""
    expect(page.locator("input[name=login]")).to_be_visible()
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password")
    page.click("button[type=submit]")
    expect(page.locator("button[type=submit]")).to_have_text("Continue")


def test_T2_C12_a_RAM_user_signs_in_with_alibaba_cloud_and_lands_as_themself_with_the_contact_refreshed(
    browser_demo, live_oidc, ram, page, live_server, loopback_only, shot
):
    user = ram.add_user(
        "dw-admin", display_name="DataWorks Admin", email="dw-admin@example.com", mobile_phone="86-13912345678"
    )
    user["UserId"] = DW_ADMIN_UID
    page.goto(f"{live_server.url}/accounts/login/")
    shot(page, "sign-in-page")
    page.click("#cloud-sign-in")
    assert page.url.startswith(f"{live_oidc.issuer}/interaction/")
    provider_sign_in(page, "dw-admin@demo-intl.onaliyun.com")
    shot(page, "consent")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/management-center/")
    expect(page.locator(".whoami")).to_have_text("DataWorks Admin")
    page.click("text=Go to Management Center")
    row = page.locator('tr[data-principal="dw-admin"]')
    expect(row).to_contain_text("+8613912345678")
    expect(row).to_contain_text("dw-admin@example.com")
    expect(row).to_contain_text("Waiting for Activation")
    expect(row.locator("time")).to_be_visible()  # last synced: just now
    shot(page, "alert-contacts")
    assert all("127.0.0.1" not in url and "localhost" not in url for url in loopback_only)


def test_T2_T3_a_RAM_user_not_connected_is_told_so_in_chinese(browser_demo, live_oidc, page, live_server, shot):
    page.goto(f"{live_server.url}/accounts/login/")
    page.select_option("#language-select", "zh-hans")
    with page.expect_navigation():
        page.click(".topbar form:has(#language-select) button")
    page.click("#cloud-sign-in")
    provider_sign_in(page, "mallory@demo-intl.onaliyun.com")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("此 RAM 用户未接入本控制台")
    assert page.url.startswith(f"{live_server.url}/oidc/callback/")
    shot(page, "refused")
