"""`manage.py check --deploy` (README: Deploying)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.checks import run_checks

PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "s3cr3t-" * 10, "ALLOWED_HOSTS": "alerts.example.com"}


def our_ids(**kwargs):
    messages = run_checks(tags=["mail"], **kwargs)
    return [message.id for message in messages if message.id.startswith("alert_contacts.")]


@pytest.mark.parametrize(
    "sender",
    [
        "Alert Contacts <alerts@localhost>",
        "alerts@localhost",
        "alerts@LOCALHOST.",
        "alerts@localhost.localdomain",
        "alerts@box.localhost",
        "alerts@mailhost",
        "root",
        "",
    ],
)
def test_C7_D1_deploy_check_warns_when_the_sender_is_at_localhost(settings, sender):
    """C7, D1: activation messages and alerts go out by email from DEFAULT_FROM_EMAIL; mail
    servers refuse senders at localhost, so `check --deploy` says so."""
    settings.DEFAULT_FROM_EMAIL = sender
    assert our_ids(include_deployment_checks=True) == ["alert_contacts.W001"]


@pytest.mark.parametrize("sender", ["Alert Contacts <alerts@example.com>", "alerts@mail.example.cn"])
def test_C7_D1_deploy_check_accepts_a_real_sender(settings, sender):
    settings.DEFAULT_FROM_EMAIL = sender
    assert our_ids(include_deployment_checks=True) == []


def test_C7_D1_only_a_deploy_check(settings):
    """Local use keeps the localhost default quietly: plain `check` does not warn."""
    assert settings.DEFAULT_FROM_EMAIL.endswith("@localhost>")
    assert our_ids() == []


def check_deploy(**environ):
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE is no production setting (check --deploy refuses it).
    unset = {"DEFAULT_FROM_EMAIL", "SECURE_HSTS_SECONDS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(PRODUCTION, **environ)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_C7_D1_production_settings_of_the_readme_pass_check_deploy():
    """With the README's production settings, DEFAULT_FROM_EMAIL included, `check --deploy`
    prints no warning; without DEFAULT_FROM_EMAIL it warns about exactly that."""
    result = check_deploy(DEFAULT_FROM_EMAIL="Alert Contacts <alerts@example.com>")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stderr
    result = check_deploy()
    assert "alert_contacts.W001" in result.stderr and "DEFAULT_FROM_EMAIL" in result.stderr
    assert "identified 1 issue" in result.stderr
