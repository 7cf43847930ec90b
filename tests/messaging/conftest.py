import pytest

from tests.alerts.conftest import _fast_retries, http_peer, smtp, webhook, ws  # noqa: F401 (fixtures)


@pytest.fixture
def alice(demo):
    return demo["principals"][("intl", "alice")]
