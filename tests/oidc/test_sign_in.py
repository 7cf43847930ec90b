"""Sign in with Alibaba Cloud through a real OpenID Provider (tests/oidc_provider): the flow, the
mapping of `aid` / `uid` to an identity (T2), and every way it can fail with a clear answer (E1)."""

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from alerts.models import Identity
from tests.oidc_peer import CLIENT_ID, TEST_CLIENT_CALLBACK, callback_path

INTL, CN = "5123456789012345", "1234567890123456"
DW_ADMIN_UID, ONCALL_ROLE_ID = "216959339000654301", "390871234567890123"
MANAGEMENT_CENTER = "/management-center/"


def cloud_users():
    return list(User.objects.filter(username__startswith="aliyun.").order_by("username"))


def followed(client, response):
    assert response.status_code == 302, response
    return client.get(response["Location"])


@pytest.fixture(autouse=True)
def _management_center_path():
    assert reverse("alerts:management_center") == MANAGEMENT_CENTER


def test_T2_the_account_owner_signs_in_as_the_owner(demo, client, cloud_sign_in):
    """uid == aid is the account owner: a console sign-in is created at the first sign-in."""
    response = cloud_sign_in("owner@demo-intl")
    assert response.status_code == 302 and response["Location"] == MANAGEMENT_CENTER
    (user,) = cloud_users()
    assert user.username == f"aliyun.{INTL}.{INTL}" and not user.has_usable_password()
    identity = Identity.objects.get(user=user)
    assert identity.account == demo["accounts"]["intl"] and identity.is_owner
    page = client.get(MANAGEMENT_CENTER)
    assert page.status_code == 200 and "demo-intl owner" in page.content.decode()  # the top bar
    assert "demo_workspace" in page.content.decode() and "analytics_sg" in page.content.decode()


def test_T2_a_RAM_user_signs_in_as_its_principal_and_passes_the_gate(demo, client, cloud_sign_in):
    response = cloud_sign_in("dw-admin@demo-intl.onaliyun.com")
    assert response["Location"] == MANAGEMENT_CENTER
    (user,) = cloud_users()
    assert user.username == f"aliyun.{INTL}.{DW_ADMIN_UID}"
    assert Identity.objects.get(user=user).principal == demo["principals"][("intl", "dw-admin")]
    workspace = demo["workspaces"]["demo_workspace"]
    assert client.get(reverse("contacts:ram_users", args=[workspace.pk])).status_code == 200  # A1: full access


def test_T2_a_RAM_role_session_signs_in_as_the_role(demo, client, cloud_sign_in):
    """Principals carry their RAM ID: the RoleId for a RAM role, so a role's sign-in maps too."""
    cloud_sign_in("oncall@demo-intl.onaliyun.com")
    (user,) = cloud_users()
    assert user.username == f"aliyun.{INTL}.{ONCALL_ROLE_ID}"
    assert Identity.objects.get(user=user).principal == demo["principals"][("intl", "OnCallBackup")]
    assert client.get(MANAGEMENT_CENTER).status_code == 200


def test_T2_the_next_sign_in_reuses_the_user_and_follows_the_principal(demo, cloud_sign_in):
    cloud_sign_in("alice@demo-intl.onaliyun.com")
    (first,) = cloud_users()
    Identity.objects.filter(user=first).update(principal=demo["principals"][("intl", "bob")])  # anything stale
    cloud_sign_in("alice@demo-intl.onaliyun.com", target=Client())
    assert cloud_users() == [first] and Identity.objects.filter(user=first).count() == 1
    assert Identity.objects.get(user=first).principal == demo["principals"][("intl", "alice")]


def test_T2_the_console_of_another_account_is_never_reached(demo, client, cloud_sign_in):
    cloud_sign_in("cn-owner@demo-cn")
    identity = Identity.objects.get(user__username=f"aliyun.{CN}.{CN}")
    assert identity.account == demo["accounts"]["cn"] and identity.is_owner
    workspace = demo["workspaces"]["demo_workspace"]
    assert client.get(reverse("contacts:ram_users", args=[workspace.pk])).status_code == 403


@pytest.mark.parametrize(
    "login, reason, heading",
    [
        ("stranger@other.onaliyun.com", "account", "This Alibaba Cloud account is not connected to this console"),
        ("mallory@demo-intl.onaliyun.com", "user", "This RAM user is not connected to this console"),
    ],
)
def test_T2_E1_an_account_or_user_not_connected_gets_a_page_saying_so_and_nothing_is_created(
    demo, client, cloud_sign_in, caplog, login, reason, heading
):
    users, identities = User.objects.count(), Identity.objects.count()
    with caplog.at_level(logging.WARNING, logger="alerts.oidc"):
        response = cloud_sign_in(login)
    assert response.status_code == 403
    text = response.content.decode()
    assert f'data-reason="{reason}"' in text and heading in text and "Nothing was created" in text
    assert "Ask " in text  # whom to ask
    assert (User.objects.count(), Identity.objects.count()) == (users, identities)
    assert "_auth_user_id" not in client.session
    assert any("Cloud sign-in refused" in r.getMessage() for r in caplog.records)


def test_T2_C14_a_principal_removed_from_RAM_is_not_let_in(demo, cloud_sign_in):
    from django.utils import timezone

    dw_admin = demo["principals"][("intl", "dw-admin")]
    dw_admin.__class__.objects.filter(pk=dw_admin.pk).update(removed_at=timezone.now())
    response = cloud_sign_in("dw-admin@demo-intl.onaliyun.com")
    assert response.status_code == 403 and 'data-reason="user"' in response.content.decode()
    assert cloud_users() == []


def test_T2_T3_the_refusal_page_is_in_chinese_too(demo, client, cloud_sign_in):
    client.cookies["django_language"] = "zh-hans"
    response = cloud_sign_in("mallory@demo-intl.onaliyun.com")
    assert "此 RAM 用户未接入本控制台" in response.content.decode()


def test_T2_a_deactivated_cloud_sign_in_is_refused(demo, client, cloud_sign_in):
    cloud_sign_in("dw-admin@demo-intl.onaliyun.com")
    User.objects.filter(username__startswith="aliyun.").update(is_active=False)
    assert client.get(MANAGEMENT_CENTER).status_code == 302  # the session ends at once
    response = cloud_sign_in("dw-admin@demo-intl.onaliyun.com", target=Client())
    assert response.status_code == 403 and 'data-reason="disabled"' in response.content.decode()


def test_E1_an_id_token_without_the_account_claim_is_refused(demo, client, cloud_sign_in):
    response = cloud_sign_in("no-account-claim@example")
    assert response["Location"] == reverse("login")
    assert "did not succeed" in followed(client, response).content.decode()
    assert cloud_users() == []


def test_E1_cancelling_at_the_provider_comes_back_with_a_message(demo, client, cloud_sign_in):
    response = cloud_sign_in("dw-admin@demo-intl.onaliyun.com", consent=False)
    assert response["Location"] == reverse("login")
    assert "Signing in with Alibaba Cloud was cancelled." in followed(client, response).content.decode()
    assert cloud_users() == []


def test_E1_a_replayed_or_foreign_callback_is_refused(demo, client, oidc):
    """The state is good for one callback of the session that started the sign-in."""
    start = client.get("/oidc/authenticate/")
    callback = callback_path(oidc.sign_in(start["Location"], "dw-admin@demo-intl.onaliyun.com"))
    other = Client()
    other.get("/oidc/authenticate/")  # a session with a state of its own
    refused = other.get(callback)
    assert refused["Location"] == reverse("login") and "_auth_user_id" not in other.session
    assert client.get(callback)["Location"] == MANAGEMENT_CENTER
    client.logout()
    client.get("/oidc/authenticate/")
    again = client.get(callback)
    assert again["Location"] == reverse("login") and "_auth_user_id" not in client.session


def test_E1_a_callback_naming_another_issuer_is_refused(demo, client, oidc):
    start = client.get("/oidc/authenticate/")
    callback = callback_path(oidc.sign_in(start["Location"], "dw-admin@demo-intl.onaliyun.com"))
    forged = callback.replace("iss=http", "iss=https")
    assert forged != callback
    assert client.get(forged)["Location"] == reverse("login")
    assert cloud_users() == []


def test_E1_the_provider_out_of_reach_is_a_message_and_passwords_still_work(demo, client, settings):
    settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = CLIENT_ID, "secret"
    settings.OIDC_DISCOVERY_URL = "http://127.0.0.1:9/.well-known/openid-configuration"
    response = client.get("/oidc/authenticate/")
    assert response["Location"] == reverse("login")
    assert "it could not be reached" in followed(client, response).content.decode()
    signed_in = client.post(reverse("login"), {"username": "dw-admin", "password": "demo"})
    assert signed_in.status_code == 302 and signed_in["Location"] == MANAGEMENT_CENTER


def test_the_authorization_request_uses_pkce_state_and_nonce(demo, client, oidc):
    location = client.get("/oidc/authenticate/")["Location"]
    assert location.startswith(f"{oidc.issuer}/auth?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["response_type"] == "code" and query["scope"] == "openid aliuid profile"
    assert query["client_id"] == CLIENT_ID and query["redirect_uri"] == TEST_CLIENT_CALLBACK
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) == 32 and len(query["nonce"]) == 32
    (entry,) = client.session["oidc_states"].values()
    assert set(entry) >= {"nonce", "code_verifier"}


def test_the_page_asked_for_is_where_the_sign_in_ends(demo, client, cloud_sign_in):
    workspace = demo["workspaces"]["demo_workspace"]
    target = reverse("contacts:ram_users", args=[workspace.pk])
    assert cloud_sign_in("dw-admin@demo-intl.onaliyun.com", next_url=target)["Location"] == target
    client.logout()
    elsewhere = cloud_sign_in("dw-admin@demo-intl.onaliyun.com", next_url="https://evil.example/")
    assert elsewhere["Location"] == MANAGEMENT_CENTER


def test_without_a_client_id_there_is_no_cloud_sign_in(demo, client, settings):
    settings.OIDC_CLIENT_ID = ""
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404
    assert "cloud-sign-in" not in client.get(reverse("login")).content.decode()


def test_T3_the_sign_in_page_offers_alibaba_cloud_first_as_a_link(demo, client, settings):
    settings.OIDC_CLIENT_ID = CLIENT_ID
    text = client.get(reverse("login") + "?next=/management-center/").content.decode()
    link = text.index('id="cloud-sign-in"')
    assert link < text.index('name="password"')
    assert 'href="/oidc/authenticate/?next=/management-center/"' in text  # a link: CSP form-action (E2)
    assert "Sign in with Alibaba Cloud" in text
    client.cookies["django_language"] = "zh-hans"
    assert "使用阿里云登录" in client.get(reverse("login")).content.decode()
    settings.OIDC_PROVIDER_NAME = "Keycloak"
    assert "使用Keycloak登录" in client.get(reverse("login")).content.decode()


def test_T2_E1_refused_cloud_sign_ins_are_not_counted_as_failed_passwords(demo, client, cloud_sign_in, settings):
    """No password reaches the console at the callback: django-axes neither counts a refused cloud
    sign-in nor stops a cloud sign-in from an address locked for wrong passwords."""
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 1):
        assert cloud_sign_in("mallory@demo-intl.onaliyun.com", target=Client()).status_code == 403
    assert not AccessAttempt.objects.exists()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "owner", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "owner", "password": "demo"}).status_code == 429
    assert cloud_sign_in("owner@demo-intl")["Location"] == MANAGEMENT_CENTER
