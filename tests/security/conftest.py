from tests.alerts.conftest import _fast_retries, http_peer, webhook, ws  # noqa: F401 (fixtures)
