"""The OpenID Provider of the tests is installed by `make test` from its lockfile and pinned; nothing
is downloaded while the tests run."""

import json
import os
import subprocess

from django.conf import settings

PROVIDER = settings.BASE_DIR / "tests" / "oidc_provider"


def test_the_provider_is_pinned_by_its_lockfile():
    package = json.loads((PROVIDER / "package.json").read_text())
    lock = json.loads((PROVIDER / "package-lock.json").read_text())
    assert package["dependencies"] == {"oidc-provider": "9.13.3"} and package["engines"] == {"node": ">=20.12"}
    pinned = lock["packages"]["node_modules/oidc-provider"]
    assert pinned["version"] == "9.13.3" and pinned["integrity"].startswith("sha512-")
    assert all("integrity" in entry for name, entry in lock["packages"].items() if name)


def test_make_test_installs_the_provider_with_npm_ci_first():
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    dry_run = subprocess.run(
        ["make", "-n", "--no-print-directory", "-W", "tests/oidc_provider/package-lock.json", "test"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert "npm ci --prefix tests/oidc_provider" in dry_run
    assert dry_run.index("npm ci") < dry_run.index("-m pytest")


def test_ci_checks_the_node_version():
    script = (settings.BASE_DIR / ".ci" / "run").read_text()
    assert "apt_install nodejs npm" in script and "Node.js 20.12 or newer is required" in script
