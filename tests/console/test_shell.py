"""The console shell: sign-in, region, language, security headers (rules T1–T3, E1, E2)."""

import pytest
from django.urls import reverse

from tests.conftest import DEMO_PASSWORD


def test_T2_sign_in_with_username_and_password(demo, client):
    response = client.post(reverse("login"), {"username": "dw-admin", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("alerts:management_center")
    page = client.get(reverse("alerts:management_center")).content.decode()
    assert "dw-admin" in page and "demo-intl" in page


def test_T2_wrong_password_is_refused_with_a_message(demo, client):
    response = client.post(reverse("login"), {"username": "dw-admin", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_T2_owner_acts_as_account_owner(demo, sign_in):
    page = sign_in("owner").get(reverse("alerts:management_center")).content.decode()
    assert "owner of account demo-intl" in page


def test_T1_region_switch_filters_workspaces(demo, sign_in):
    client = sign_in("dw-admin")
    page = client.get(reverse("alerts:management_center")).content.decode()
    assert f'value="{demo["workspaces"]["demo_workspace"].pk}"' in page  # cn-hangzhou is first
    client.post(reverse("alerts:choose_region"), {"region": "ap-southeast-1", "next": "/management-center/"})
    page = client.get(reverse("alerts:management_center")).content.decode()
    assert f'value="{demo["workspaces"]["analytics_sg"].pk}"' in page
    assert f'value="{demo["workspaces"]["demo_workspace"].pk}"' not in page


def test_T1_E1_unknown_region_changes_nothing(demo, sign_in):
    client = sign_in("dw-admin")
    client.post(reverse("alerts:choose_region"), {"region": "ap-southeast-1"})
    response = client.post(reverse("alerts:choose_region"), {"region": "mars-1"}, follow=True)
    assert response.status_code == 200
    assert "That region does not exist." in response.content.decode()
    assert client.session["region"] == "ap-southeast-1"


def test_T1_E1_region_switch_refuses_offsite_next(demo, sign_in):
    response = sign_in("dw-admin").post(
        reverse("alerts:choose_region"), {"region": "cn-hangzhou", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("alerts:management_center")


def test_T1_go_to_management_center_opens_alert_contacts(demo, sign_in):
    workspace = demo["workspaces"]["demo_workspace"]
    response = sign_in("dw-admin").get(reverse("alerts:go_to_workspace"), {"workspace": workspace.pk}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Alert Settings" in body and "Alert Contacts" in body and "RAM User" in body


@pytest.mark.parametrize("value", ["", "abc", "-1", "1 OR 1=1"])
def test_E1_go_to_management_center_with_bad_input(demo, sign_in, value):
    response = sign_in("dw-admin").get(reverse("alerts:go_to_workspace"), {"workspace": value}, follow=True)
    assert response.status_code == 200
    assert "Choose a workspace from the list first." in response.content.decode()


def test_T3_browser_preference_picks_chinese(demo, client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    assert response["Content-Language"] == "zh-hans"
    assert "登录" in response.content.decode()


def test_T3_language_switch_overrides_browser(demo, sign_in):
    client = sign_in("dw-admin")
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/management-center/"})
    page = client.get(reverse("alerts:management_center"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "管理中心" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/management-center/"})
    page = client.get(reverse("alerts:management_center"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Management Center" in page


def test_T3_chinese_forbidden_page_names_the_roles(demo, sign_in):
    client = sign_in("developer")
    client.post(reverse("set_language"), {"language": "zh-hans"})
    response = client.get(reverse("contacts:ram_users", args=[demo["workspaces"]["demo_workspace"].pk]))
    assert response.status_code == 403
    body = response.content.decode()
    assert "租户管理员" in body and "AliyunDataWorksFullAccess" in body


@pytest.mark.parametrize("url", ["/accounts/login/", "/management-center/", "/admin/login/"])
def test_E2_every_page_sends_a_content_security_policy(demo, sign_in, url):
    response = sign_in("dw-admin").get(url)
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy


def test_E2_state_changes_need_csrf(demo, django_user_model):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.get(username="dw-admin"))
    assert client.post(reverse("alerts:choose_region"), {"region": "cn-hangzhou"}).status_code == 403
    assert client.get(reverse("alerts:choose_region")).status_code == 405


def test_demo_data_is_idempotent(demo):
    from alerts.demo import demo_load
    from alerts.models import Membership, Workspace
    from contacts.models import Principal

    counts = (Workspace.objects.count(), Principal.objects.count(), Membership.objects.count())
    demo_load(password=DEMO_PASSWORD)
    assert counts == (Workspace.objects.count(), Principal.objects.count(), Membership.objects.count())


def test_demo_data_refuses_without_debug(db, settings):
    from django.core.management import CommandError, call_command

    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("load_demo_data")
    call_command("load_demo_data", "--force")


@pytest.mark.parametrize(
    "method, url, data",
    [
        ("get", "/workspaces/{ws}/alert-contacts/ram-users/", {"q": "a\x00b"}),
        ("post", "/region/", {"region": "cn-\x00hangzhou"}),
        ("get", "/workspaces/{ws}/alert-history/", {"status": "\x00"}),
    ],
)
def test_E1_nul_characters_get_a_clear_400_not_a_500(demo, sign_in, method, url, data):
    client = sign_in("dw-admin")
    target = url.format(ws=demo["workspaces"]["demo_workspace"].pk)
    response = getattr(client, method)(target, data)
    assert response.status_code == 400 and "NUL" in response.content.decode()
