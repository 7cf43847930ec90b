"""Restarting `make run` signs nobody out (README: Two commands)."""

from django.core.management import call_command
from django.urls import reverse


def test_T2_restart_keeps_everyone_signed_in(demo, client):
    """T2: a console user who signed in with the demo password is still signed in after `make run`
    starts again, which reloads the demo data (`load_demo_data`) with the same password."""
    response = client.post(reverse("login"), {"username": "dw-admin", "password": "demo"})
    assert response.status_code == 302
    page = reverse("alerts:management_center")
    assert client.get(page).status_code == 200
    call_command("load_demo_data", "--force")
    assert client.get(page).status_code == 200


def test_T2_changed_demo_password_still_applies(demo, client, settings):
    settings.DEMO_PASSWORD = "another"
    call_command("load_demo_data", "--force")
    assert client.post(reverse("login"), {"username": "dw-admin", "password": "another"}).status_code == 302
    client.logout()
    assert client.post(reverse("login"), {"username": "owner", "password": "demo"}).status_code == 200
