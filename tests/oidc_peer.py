"""The OpenID Provider of the tests: oidc-provider (npm, OpenID Certified) from tests/oidc_provider/, run
by Node on a free loopback port, with the accounts of tests/oidc_provider/accounts.json. `make test`
installs it (`npm ci` from the lockfile); nothing is downloaded while the tests run.

`OidcProvider.sign_in()` goes through the provider's own sign-in and consent pages over HTTP (for
tests with Django's test client); the browser tests go through the same pages with Chromium."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
ACCOUNTS = json.loads((PROVIDER_DIR / "accounts.json").read_text(encoding="utf-8"))
CLIENT_ID, CLIENT_SECRET = "console", "console-secret"
NODE_MINIMUM = (20, 12)  # PKCE in oidc-provider 9 uses crypto.hash
START_SECONDS = 30  # a provider that has not printed its address by then is started again
TEST_CLIENT_CALLBACK = "http://testserver/oidc/callback/"


def provider_missing() -> str | None:
    """Why the provider cannot run here, or None."""
    node = shutil.which("node")
    if node is None:
        return "Node.js is not installed (needed for the OpenID Provider of the tests)"
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:2])
    if numbers < NODE_MINIMUM:
        return f"Node.js {version} is too old: oidc-provider needs 20.12 or newer"
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return "oidc-provider is not installed: run `make test` (npm ci in tests/oidc_provider)"
    return None


def require_provider() -> None:
    """Skip (or, under CI=true, fail) the test when the provider cannot run."""
    reason = provider_missing()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI=true)")
    pytest.skip(reason)


class OidcProvider:
    """One running provider (`node index.mjs`) whose one client may return to `redirect_uris`."""

    def __init__(self, redirect_uris: list[str], accounts_file: Path = PROVIDER_DIR / "accounts.json") -> None:
        self.redirect_uris, self.accounts_file = redirect_uris, accounts_file
        self.issuer = ""

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def __enter__(self) -> OidcProvider:
        self._stderr = tempfile.TemporaryFile()
        env = {
            **os.environ,
            "PORT": "0",
            "ACCOUNTS_FILE": str(self.accounts_file),
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": CLIENT_SECRET,
            "REDIRECT_URIS": ",".join(self.redirect_uris),
            # The pipe to its stdin closes when this process dies, however it dies: no orphan provider.
            "STOP_ON_STDIN_EOF": "1",
        }
        # It has been seen, rarely, to hang before it listens (node blocked in start-up, nothing on
        # stderr): one that has not answered within START_SECONDS is killed and started again once.
        for _attempt in range(2):
            self.process = subprocess.Popen(
                ["node", "index.mjs"],
                cwd=PROVIDER_DIR,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                text=True,
            )
            line = self._first_line()
            if line is not None:
                break
            self.process.kill()
            self.process.wait(timeout=5)
        else:
            raise RuntimeError(f"oidc-provider did not start within {START_SECONDS} s, twice")
        if not line:
            self.process.wait(timeout=5)
            self._stderr.seek(0)
            error = self._stderr.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"oidc-provider did not start (exit {self.process.returncode}): {error}")
        self.issuer = json.loads(line)["issuer"]
        return self

    def _first_line(self) -> str | None:
        """The line it prints once it listens ("" if it died), or None after START_SECONDS."""
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], START_SECONDS)
        return self.process.stdout.readline() if ready else None

    def __exit__(self, *exc: Any) -> None:
        self.process.terminate()  # SIGTERM to the one process started here
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self._stderr.close()

    def sign_in(self, authorize_url: str, login: str, *, consent: bool = True, password: str = "any") -> str:
        """Follow the console's redirect to the provider as a browser would: the provider's sign-in
        page (as `login`), its consent page (Continue, or [ Cancel ] when `consent` is False), and
        return the URL the provider sends the browser back to (the console's callback)."""
        browser = requests.Session()
        url = authorize_url
        for _ in range(12):
            if any(url.startswith(uri) for uri in self.redirect_uris):
                return url
            answer = browser.get(url, allow_redirects=False, timeout=10)
            if answer.is_redirect:
                url = urljoin(url, answer.headers["Location"])
                continue
            assert answer.status_code == 200, (answer.status_code, answer.text[:500])
            prompt = re.search(r'name="prompt" value="(\w+)"', answer.text)
            action = re.search(r'<form[^>]*action="([^"]+)"', answer.text)
            assert prompt and action, answer.text[:1000]
            if prompt.group(1) == "login":
                form = {"prompt": "login", "login": login, "password": password}
            elif consent:
                form = {"prompt": "consent"}
            else:
                cancel = re.search(r'href="([^"]*abort[^"]*)"', answer.text)
                assert cancel, answer.text[:1000]
                url = urljoin(url, cancel.group(1).replace("&amp;", "&"))
                continue
            posted = browser.post(urljoin(url, action.group(1)), data=form, allow_redirects=False, timeout=10)
            assert posted.is_redirect, (posted.status_code, posted.text[:500])
            url = urljoin(url, posted.headers["Location"])
        raise AssertionError(f"the provider never sent the browser back: {url}")


def callback_path(url: str) -> str:
    """The path and query of a callback URL, for Django's test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    """A provider for tests with Django's test client (the callback is http://testserver/...)."""
    require_provider()
    with OidcProvider([TEST_CLIENT_CALLBACK]) as provider:
        yield provider


@pytest.fixture
def oidc(settings: Any, oidc_provider: OidcProvider) -> Iterator[OidcProvider]:
    """Sign in with Alibaba Cloud turned on, pointed at the test provider."""
    yield from oidc_configured(settings, oidc_provider)


def oidc_configured(settings: Any, provider: OidcProvider) -> Iterator[OidcProvider]:
    from alerts.oidc import discovery_forget

    settings.OIDC_DISCOVERY_URL = provider.discovery_url
    settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    discovery_forget()
    yield provider
    discovery_forget()


def ram_peer_configured(settings: Any, monkeypatch: pytest.MonkeyPatch, peer: Any, tmp_path: Path) -> None:
    """Every account is connected to Alibaba Cloud (directory sync on), and the console's RAM client
    talks to `peer` (tests/aliyun_peer.py), signing with the peer's key through the credentials
    profile `peer` that every account names."""
    from contacts.models import Account
    from tests.aliyun_peer import ACCESS_KEY_ID, ACCESS_KEY_SECRET

    credentials = tmp_path / "credentials.ini"
    credentials.write_text(
        f"[peer]\ntype = access_key\naccess_key_id = {ACCESS_KEY_ID}\naccess_key_secret = {ACCESS_KEY_SECRET}\n"
    )
    monkeypatch.setattr("alibabacloud_credentials.utils.auth_util.environment_credentials_file", str(credentials))
    settings.ALIBABA_CLOUD_RAM_ENDPOINT = peer.url
    Account.objects.update(credentials_profile="peer", directory_sync_enabled=True)
