"""The lockout page through the real sign-in form (T2, E1), in both languages."""


def test_T2_E1_five_wrong_passwords_show_the_lockout_page(browser_demo, page, live_server, sign_in_page, shot):
    for _ in range(5):
        sign_in_page("owner", password="wrong-password")
    assert page.locator("h1").inner_text() == "Too many failed sign-ins"
    assert "You can sign in again from" in page.locator(".signin").inner_text()
    shot(page, "en")
    sign_in_page("owner")  # the right password: still refused
    assert page.locator("h1").inner_text() == "Too many failed sign-ins"
    page.select_option("#language-select", "zh-hans")
    with page.expect_navigation():
        page.click(".topbar form:has(#language-select) button")
    sign_in_page("owner")
    assert page.locator("h1").inner_text() == "登录失败次数过多"
    shot(page, "zh-hans")
