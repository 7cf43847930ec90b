import pytest

from tests.aliyun_peer import aliyun_peer  # noqa: F401 - the fixture, for the tests of this folder
from tests.oidc_peer import callback_path, oidc, oidc_provider, ram_peer_configured  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def _no_cloud_outside(settings, monkeypatch):
    """No test here reaches Alibaba Cloud: RAM is a closed loopback port unless a test brings the
    peer (`ram`), and the credentials chain never asks an instance metadata service."""
    monkeypatch.setattr("alibabacloud_credentials.utils.auth_util.environment_ecs_metadata_disabled", "true")
    settings.ALIBABA_CLOUD_RAM_ENDPOINT = "http://127.0.0.1:9"


@pytest.fixture
def ram(settings, monkeypatch, aliyun_peer, tmp_path, demo):  # noqa: F811 - aliyun_peer is the imported fixture
    """The RAM API of the tests (tests/aliyun_peer.py): the demo accounts read it through the
    peer's credentials profile."""
    ram_peer_configured(settings, monkeypatch, aliyun_peer, tmp_path)
    return aliyun_peer.ram


@pytest.fixture
def cloud_sign_in(client, oidc):  # noqa: F811 - oidc is the imported fixture
    """Sign in with Alibaba Cloud through the test provider's sign-in and consent pages as `login`
    (a key of tests/oidc_provider/accounts.json); returns the console's answer to the callback."""

    def _sign_in(login, *, next_url=None, consent=True, target=client):
        start = target.get("/oidc/authenticate/", {"next": next_url} if next_url else {})
        assert start.status_code == 302, start
        return target.get(callback_path(oidc.sign_in(start["Location"], login, consent=consent)))

    return _sign_in
