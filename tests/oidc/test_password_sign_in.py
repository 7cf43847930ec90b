"""PASSWORD_SIGN_IN: on by default (the demo); off, the console offers only Sign in with Alibaba Cloud
and accepts passwords from staff users alone, who keep the admin's sign-in (T2)."""

import pytest
from axes.models import AccessAttempt
from django.core.checks import run_checks
from django.urls import reverse

from tests.oidc_peer import CLIENT_ID


@pytest.fixture
def passwords_off(settings):
    settings.PASSWORD_SIGN_IN = False
    settings.OIDC_CLIENT_ID = CLIENT_ID


def test_T2_by_default_the_password_form_is_there(demo, client):
    text = client.get(reverse("login")).content.decode()
    assert 'name="password"' in text and 'id="cloud-sign-in"' not in text
    assert client.post(reverse("login"), {"username": "dw-admin", "password": "demo"}).status_code == 302


def test_T2_off_the_sign_in_page_has_only_the_cloud_sign_in(demo, client, passwords_off):
    text = client.get(reverse("login")).content.decode()
    assert 'id="cloud-sign-in"' in text and 'name="password"' not in text
    assert reverse("admin:login") in text  # support staff are told where they sign in


@pytest.mark.parametrize("password", ["demo", "wrong"])
def test_T2_off_a_password_is_refused_alike_right_or_wrong_and_counted(demo, client, passwords_off, password):
    response = client.post(reverse("login"), {"username": "dw-admin", "password": password})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "Password sign-in is turned off for this console" in response.content.decode()
    assert AccessAttempt.objects.get(username="dw-admin").failures_since_start == 1


def test_T2_off_staff_keep_their_password_sign_in(demo, client, passwords_off):
    response = client.post(reverse("admin:login"), {"username": "support", "password": "demo", "next": "/admin/"})
    assert response.status_code == 302 and client.get("/admin/").status_code == 200
    client.logout()
    assert client.post(reverse("login"), {"username": "support", "password": "demo"}).status_code == 302


def test_T2_off_a_session_that_began_with_a_password_ends(demo, client, settings):
    assert client.post(reverse("login"), {"username": "dw-admin", "password": "demo"}).status_code == 302
    assert client.get(reverse("alerts:management_center")).status_code == 200
    settings.PASSWORD_SIGN_IN = False
    assert client.get(reverse("alerts:management_center")).status_code == 302


def test_T2_off_without_a_provider_the_checks_warn(settings):
    settings.PASSWORD_SIGN_IN, settings.OIDC_CLIENT_ID = False, ""
    assert "alert_contacts.W002" in [m.id for m in run_checks(tags=["security"])]
    settings.OIDC_CLIENT_ID = CLIENT_ID
    assert "alert_contacts.W002" not in [m.id for m in run_checks(tags=["security"])]


def test_E1_a_client_id_without_a_discovery_url_is_a_configuration_error(settings):
    settings.OIDC_CLIENT_ID, settings.OIDC_DISCOVERY_URL = CLIENT_ID, ""
    assert "alert_contacts.E001" in [m.id for m in run_checks(tags=["security"])]
