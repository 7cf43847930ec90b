"""Settings read from the environment (README: Configuration, Deploying).

Each case imports the settings module in a fresh interpreter with exactly the environment under
test, as `manage.py`, gunicorn and the worker do.
"""

import os
import stat
import subprocess
import sys

from django.conf import settings

PRINT_KEY = "import config.settings as s; print(s.SECRET_KEY)"


def import_settings(code="import config.settings", **environ):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECRET_KEY_FILE"}}
    env.update(environ)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_production_without_allowed_hosts_stops_with_a_clear_message():
    """DEBUG=0 without ALLOWED_HOSTS stops at start-up and says what to set (no silent 400s)."""
    result = import_settings(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="")
    assert result.returncode != 0
    assert "ImproperlyConfigured: ALLOWED_HOSTS must be set when DEBUG is off" in result.stderr
    assert "ALLOWED_HOSTS=alerts.example.com" in result.stderr


def test_production_with_allowed_hosts_starts():
    result = import_settings(
        "import config.settings as s; print(s.ALLOWED_HOSTS)",
        DEBUG="0",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="alerts.example.com,alerts2.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['alerts.example.com', 'alerts2.example.com']"


def test_production_still_requires_secret_key(tmp_path):
    key_file = tmp_path / "secret_key"
    result = import_settings(
        DEBUG="0", SECRET_KEY="", ALLOWED_HOSTS="alerts.example.com", SECRET_KEY_FILE=str(key_file)
    )
    assert result.returncode != 0 and "SECRET_KEY must be set when DEBUG is off" in result.stderr
    assert not key_file.exists()


def test_development_key_is_generated_once_private_and_reused(tmp_path):
    """Restarting `make run` keeps everyone signed in: with DEBUG on and no SECRET_KEY, a key is
    generated once into the key file (0600) and every later start (web server or worker) uses it."""
    key_file = tmp_path / "var" / "secret_key"
    first = import_settings(PRINT_KEY, DEBUG="1", SECRET_KEY="", SECRET_KEY_FILE=str(key_file))
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 50 and key == key_file.read_text().strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = import_settings(PRINT_KEY, DEBUG="1", SECRET_KEY="", SECRET_KEY_FILE=str(key_file))
    assert again.stdout.strip() == key
    assert [p.name for p in key_file.parent.iterdir()] == ["secret_key"]  # no temporary files left


def test_development_key_is_the_same_for_processes_that_start_together(tmp_path):
    """The web server and the worker start at the same moment: both must sign with one key, or
    the worker's activation links would not open on the web server."""
    key_file = tmp_path / "secret_key"
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(DEBUG="1", SECRET_KEY="", SECRET_KEY_FILE=str(key_file))
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PRINT_KEY], cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    keys = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert keys == {key_file.read_text().strip()}


def test_explicit_secret_key_wins_and_writes_no_file(tmp_path):
    key_file = tmp_path / "secret_key"
    result = import_settings(PRINT_KEY, DEBUG="1", SECRET_KEY="k" * 50, SECRET_KEY_FILE=str(key_file))
    assert result.stdout.strip() == "k" * 50 and not key_file.exists()


TRANSPORTS = "import config.settings as s; print(s.MESSAGING_TRANSPORTS['sms'], s.MESSAGING_TRANSPORTS['voice'])"


def test_D1_text_and_call_providers_come_from_the_environment():
    """SMS_PROVIDER and VOICE_PROVIDER pick the transport of each channel (outbox by default)."""
    default = import_settings(TRANSPORTS, SMS_PROVIDER="", VOICE_PROVIDER="")
    assert default.returncode == 0, default.stderr
    assert default.stdout.split() == ["contacts.messaging.outbox.OutboxTransport"] * 2
    mixed = import_settings(TRANSPORTS, SMS_PROVIDER="gateway", VOICE_PROVIDER="outbox")
    assert mixed.returncode == 0, mixed.stderr
    assert mixed.stdout.split() == [
        "contacts.messaging.gateway.GatewayTransport",
        "contacts.messaging.outbox.OutboxTransport",
    ]


def test_D1_an_unknown_provider_stops_start_up_with_a_clear_message():
    result = import_settings(SMS_PROVIDER="outbox", VOICE_PROVIDER="carrier-pigeon")
    assert result.returncode != 0
    assert "ImproperlyConfigured: VOICE_PROVIDER='carrier-pigeon' is not a provider" in result.stderr
    assert "use one of outbox, gateway" in result.stderr


def test_a_django_log_line_is_printed_once_in_development():
    """Django's logger kept its own console handler beside the root's, so with DEBUG on every line
    of runserver ("Watching for file changes …") and every request error was printed twice."""
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.utils.autoreload').info('Watching for file changes with StatReloader')"
    )
    result = import_settings(code, DEBUG="1", DJANGO_SETTINGS_MODULE="config.settings")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Watching for file changes") == 1, result.stderr
