import copy
from pathlib import Path

import pytest

from alerts.demo import demo_load
from tests.settings import PASSWORD_HASHERS as FAST_PASSWORD_HASHERS

DEMO_PASSWORD = "demo"
BROWSER_TESTS = Path(__file__).resolve().parent / "browser"
# pytest-playwright's fixtures that start Chromium (page and context need browser).
BROWSER_FIXTURES = {"browser", "context", "page", "new_context"}


def _is_transactional(item):
    """Whether the test runs outside a rolled-back transaction (pytest-django's own rule): its
    writes are committed, and the database is emptied (flushed) after it."""
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences") or any(marker.args[:2])):
        return True
    return bool({"transactional_db", "live_server", "django_db_reset_sequences"} & set(_fixtures(item)))


def _fixtures(item):
    return getattr(item, "fixturenames", ())


def _starts_chromium(item):
    return item.path.is_relative_to(BROWSER_TESTS) or bool(BROWSER_FIXTURES & set(_fixtures(item)))


def pytest_collection_modifyitems(config, items):
    """Mark the tests that start Chromium `browser` (`make test-fast` leaves them out).

    Then order the tests that run in a rolled-back transaction: those without the demo data first,
    so that they see an empty database, then those with it, which share the demo data committed
    once (see `_demo_committed`). pytest-django has already put all of them before the
    transactional tests, whose flush would remove the shared data; their order is kept."""
    for item in items:
        if _starts_chromium(item):
            item.add_marker(pytest.mark.browser)

    def group(item):
        if _is_transactional(item):
            return 2
        if "demo" in _fixtures(item):
            return 1
        if item.get_closest_marker("django_db") or "db" in _fixtures(item):
            return 0
        return 3

    items.sort(key=group)


@pytest.fixture(autouse=True)
def _english_by_default():
    """Each test starts in English, whatever language a previous request left active."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _loopback_peers_allowed(settings):
    """Delivery tests post to real peers on loopback (tests/peers.py), which the outbound guard
    refuses unless loopback is listed; tests of the guard itself empty the list."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]


@pytest.fixture(autouse=True)
def _message_backends(settings, tmp_path):
    """Unit tests use in-memory channels and run tasks at once; tests that need the outbox file or
    the database task queue switch them back explicitly."""
    from contacts.messaging.locmem import LocmemTransport

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "sms": "contacts.messaging.locmem.LocmemTransport",
    }
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
    settings.OUTBOX_PATH = tmp_path / "outbox.jsonl"
    settings.SITE_URL = "http://testserver"
    LocmemTransport.outbox = []
    yield LocmemTransport.outbox


@pytest.fixture
def sms_outbox(_message_backends):
    return _message_backends


class _SharedDemo:
    """What `demo_load` returned when it committed the shared demo data, while that data is in the
    test database; None once a flush has removed it."""

    data = None


def _shared_demo_flush(django_db_blocker):
    """Empty the test database as pytest-django does after a transactional test."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("flush", verbosity=0, interactive=False, reset_sequences=False)
    _SharedDemo.data = None


@pytest.fixture(scope="session")
def _demo_committed(django_db_setup, django_db_blocker):
    """The demo data, loaded and committed once for the whole session (before the first test that
    asks for it opens its transaction). Each test's writes roll back, so every test sees it as
    loaded. Flushed at the end, so that a database kept with --reuse-db starts empty."""
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
        _SharedDemo.data = demo_load(password=DEMO_PASSWORD)
    yield
    if _SharedDemo.data is not None:
        _shared_demo_flush(django_db_blocker)


@pytest.fixture(autouse=True)
def _shared_demo_gone_before_transactional_tests(request, django_db_blocker):
    """A transactional test starts from an empty database, as it would without the shared demo
    data (it loads its own, committed, and pytest-django flushes the database after it)."""
    if _SharedDemo.data is not None and _is_transactional(request.node):
        _shared_demo_flush(django_db_blocker)


@pytest.fixture
def demo(request, _demo_committed, db):
    """The demo data of `load_demo_data`: the public sign-ins, accounts and workspaces.

    The rows are the shared ones committed once; the objects are a fresh copy for each test, so
    that changes a test makes to them stay in that test. A transactional test (or one running after
    a flush) loads its own."""
    if _SharedDemo.data is None or _is_transactional(request.node):
        return demo_load(password=DEMO_PASSWORD)
    return copy.deepcopy(_SharedDemo.data)


@pytest.fixture
def sign_in(client, django_user_model):
    """Sign the test client in as a demo sign-in (or stay anonymous for None)."""

    def _sign_in(username):
        client.logout()
        if username is not None:
            client.force_login(django_user_model.objects.get(username=username))
        return client

    return _sign_in
