"""Production settings send the hardening headers (E2): HSTS, secure cookies, CSP, X-Frame-Options,
Referrer-Policy. Checked in a process started with the production environment."""

import json
import subprocess
import sys

from django.conf import settings

SCRIPT = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("collectstatic", "--noinput", verbosity=0)
from django.test import Client
response = Client().get("/accounts/login/", secure=True, headers={"host": "alerts.example.com"})
cookies = {
    name: {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"])}
    for name, morsel in response.cookies.items()
}
insecure = Client().get("/accounts/login/", headers={"host": "alerts.example.com"})
print(json.dumps({"status": response.status_code, "headers": dict(response.headers), "cookies": cookies,
                  "http_status": insecure.status_code, "http_location": insecure.get("Location", "")}))
"""


def test_E2_production_settings_send_the_hardening_headers(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "alerts.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    assert seen["status"] == 200
    assert headers["strict-transport-security"].startswith("max-age=31536000")
    assert "includeSubDomains" in headers["strict-transport-security"]
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    assert headers["x-content-type-options"] == "nosniff"
    assert seen["cookies"]["csrftoken"]["secure"]
    assert seen["http_status"] == 301 and seen["http_location"].startswith("https://")  # HTTP goes to HTTPS
