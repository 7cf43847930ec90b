"""Browser tests drive Debian's Chromium through Playwright (Playwright cannot download its own
browser on our machines). Under CI=true a missing Chromium fails the run instead of skipping."""

import os
from pathlib import Path

import pytest

# pytest-playwright runs tests inside an event loop; the Django ORM refuses that unless told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    browser_items = [item for item in items if "tests/browser/" in str(item.fspath)]
    if not browser_items:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise pytest.UsageError(f"Chromium not found at {CHROMIUM}: browser tests cannot run (CI=true).")
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM} (install Debian's chromium)"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def shot(request):
    """Save a named screenshot of a page as a test artifact under test-artifacts/screenshots/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def _shot(page, label="final"):
        name = f"{request.node.name}-{label}.png".replace("/", "_").replace("[", "-").replace("]", "")
        page.screenshot(path=str(ARTIFACTS / name), full_page=True)
        return ARTIFACTS / name

    return _shot


@pytest.fixture
def browser_demo(transactional_db, live_server):
    from alerts.demo import demo_load

    return demo_load(password="demo")


@pytest.fixture
def sign_in_page(page, live_server):
    def _sign_in(username, password="demo", target=page):
        target.goto(f"{live_server.url}/accounts/login/")
        target.fill("#id_username", username)
        target.fill("#id_password", password)
        target.click(".signin button[type=submit]")
        return target

    return _sign_in
