"""Sign-in throttling (T2, E1): repeated wrong passwords lock the username at that address, and an
address that tries too many, for 15 minutes, with a clear 429 page in both languages; support staff
unlock in the admin."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import DEMO_PASSWORD

LOGIN = "/accounts/login/"


def attempt(client, username, password="wrong-password", url=LOGIN, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def fail(client, username, times, **extra):
    return [attempt(client, username, **extra).status_code for _ in range(times)]


def signed_in(client):
    return "_auth_user_id" in client.session


@pytest.fixture
def owner_locked(demo, client):
    """Five wrong passwords for `owner` from 127.0.0.1: the fifth is already answered 429."""
    assert fail(client, "owner", 5) == [200, 200, 200, 200, 429]
    return client


def test_T2_E1_five_failures_then_the_right_password_is_refused_with_429_and_a_clear_page(owner_locked):
    response = attempt(owner_locked, "owner", DEMO_PASSWORD)
    assert response.status_code == 429 and not signed_in(owner_locked)
    page = response.content.decode()
    assert "Too many failed sign-ins" in page and "even the right password is refused" in page
    assert "You can sign in again from" in page and "in about 15 minutes" in page
    assert 890 <= int(response["Retry-After"]) <= 900
    assert 'class="card signin"' in page and reverse("login") in page  # styled like the sign-in page
    assert "no-cache" in response["Cache-Control"]
    assert owner_locked.get(reverse("alerts:management_center")).status_code == 302  # still anonymous


def test_T2_E1_the_lockout_page_is_in_simplified_chinese(owner_locked):
    response = attempt(owner_locked, "owner", DEMO_PASSWORD, headers={"Accept-Language": "zh-hans"})
    assert response.status_code == 429
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "登录失败次数过多" in page and "即使密码正确也无法登录" in page and "约 15 分钟后" in page
    assert "Too many failed sign-ins" not in page


def test_T2_after_the_cool_off_the_right_password_signs_in(owner_locked):
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        # Still locked; and a refused attempt starts the wait again.
        assert attempt(owner_locked, "owner", DEMO_PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=14 + 14), tick=False):
        assert attempt(owner_locked, "owner", DEMO_PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=28 + 15, seconds=1), tick=False):
        assert attempt(owner_locked, "owner", DEMO_PASSWORD).status_code == 302
        assert signed_in(owner_locked)


def test_T2_the_limit_and_the_lockout_come_from_settings(demo, client, settings):
    settings.AXES_FAILURE_LIMIT = settings.LOGIN_FAILURE_LIMIT = 2
    settings.LOGIN_LOCKOUT_MINUTES = 1
    assert fail(client, "owner", 2) == [200, 429]
    assert "in about 1 minute." in attempt(client, "owner", DEMO_PASSWORD).content.decode()
    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=False):
        assert attempt(client, "owner", DEMO_PASSWORD).status_code == 302


def test_T2_another_username_from_the_same_address_still_signs_in(owner_locked):
    assert attempt(owner_locked, "dw-admin", DEMO_PASSWORD).status_code == 302


def test_T2_the_locked_username_still_signs_in_from_another_address(owner_locked):
    """Never per username alone: an attacker cannot lock a user out from everywhere."""
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert attempt(elsewhere, "owner", DEMO_PASSWORD).status_code == 302


def test_T2_an_address_trying_many_usernames_is_locked_for_every_username(demo, client, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    for name in ("a", "b", "c", "d"):
        assert fail(client, name, 2) == [200, 200] or name == "d"
    response = attempt(client, "dw-admin", DEMO_PASSWORD)
    assert response.status_code == 429 and not signed_in(client)
    assert attempt(Client(REMOTE_ADDR="203.0.113.9"), "dw-admin", DEMO_PASSWORD).status_code == 302


def test_T2_a_successful_sign_in_forgets_only_that_usernames_own_typos(demo, client):
    assert fail(client, "owner", 4) == [200] * 4
    assert attempt(client, "owner", DEMO_PASSWORD).status_code == 302
    client.logout()
    assert fail(client, "owner", 4) == [200] * 4  # counted from zero again


def test_T2_a_forwarded_for_header_is_ignored_unless_proxies_are_configured(owner_locked, settings):
    spoofed = {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert attempt(owner_locked, "owner", DEMO_PASSWORD, **spoofed).status_code == 429
    settings.TRUSTED_PROXY_COUNT = 1  # now the proxy's X-Forwarded-For names the client
    assert (
        attempt(owner_locked, "owner", DEMO_PASSWORD, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7").status_code == 302
    )


def test_T2_the_admin_sign_in_is_throttled_too(demo, client):
    admin_login = reverse("admin:login")
    assert fail(client, "support", 5, url=admin_login) == [200, 200, 200, 200, 429]
    response = attempt(client, "support", DEMO_PASSWORD, url=admin_login)
    assert response.status_code == 429 and not signed_in(client)
    page = response.content.decode()
    assert "Too many failed sign-ins" in page and f'href="{admin_login}"' in page


@pytest.fixture
def support(demo):
    support = Client()
    support.force_login(demo_user("support"))
    return support


def demo_user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def test_T2_support_sees_the_lockout_and_unlocks_the_user_who_signs_in_at_once(owner_locked, support):
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = support.get(changelist).content.decode()
    assert "owner" in page and "Locked out until" in page
    from axes.models import AccessAttempt

    row = AccessAttempt.objects.get(username="owner")
    response = support.post(changelist, {"action": "unlock_usernames", "_selected_action": [row.pk]}, follow=True)
    assert "1 failed sign-in record deleted: unlocked." in response.content.decode()
    assert attempt(owner_locked, "owner", DEMO_PASSWORD).status_code == 302


def test_T2_support_unlocks_an_address_for_every_username(demo, client, support, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 4
    fail(client, "a", 2)
    fail(client, "b", 2)
    assert attempt(client, "owner", DEMO_PASSWORD).status_code == 429
    from axes.models import AccessAttempt

    first = AccessAttempt.objects.filter(username="a").get()
    page = support.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "Address locked out until" in page
    support.post(
        reverse("admin:axes_accessattempt_changelist"), {"action": "unlock_addresses", "_selected_action": [first.pk]}
    )
    assert not AccessAttempt.objects.exists()
    assert attempt(client, "owner", DEMO_PASSWORD).status_code == 302


def test_T2_support_can_also_delete_an_attempt_and_the_admin_is_in_chinese(owner_locked, support):
    from axes.models import AccessAttempt

    zh = {"headers": {"Accept-Language": "zh-hans"}}
    index = support.get(reverse("admin:index"), **zh).content.decode()
    assert "登录锁定" in index and "登录尝试" in index
    page = support.get(reverse("admin:axes_accessattempt_changelist"), **zh).content.decode()
    assert "锁定至" in page and "解锁所选用户名（仅限其地址）" in page and "失败次数" in page
    row = AccessAttempt.objects.get(username="owner")
    response = support.post(reverse("admin:axes_accessattempt_delete", args=[row.pk]), {"post": "yes"})
    assert response.status_code == 302 and not AccessAttempt.objects.exists()
    assert attempt(owner_locked, "owner", DEMO_PASSWORD).status_code == 302
