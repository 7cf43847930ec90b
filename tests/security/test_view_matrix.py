"""The view matrix, generated from the URLconf: every console URL × every demo sign-in (and an
anonymous visitor) with the expected answer (A1–A4, E2). A new URL without an entry here fails."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from alerts.models import Alert

FULL = {"owner", "dw-admin", "tenant-admin", "security-admin", "alert-admin"}
VIEWER = {"contacts-viewer"}  # the custom role with only `view contacts`
OTHERS = {"developer", "outsider", "cn-owner", "support"}  # no access to demo_workspace
IDENTITIES = sorted(FULL | VIEWER | OTHERS) + [None]
LOGIN = "login"


def gate(allowed, ok=200):
    """Expected status for a page of demo_workspace: `ok` for `allowed`, 403 for other sign-ins,
    a redirect to sign in for anonymous visitors."""
    return lambda who: LOGIN if who is None else (ok if who in allowed else 403)


def signed_in(ok, anonymous=LOGIN):
    return lambda who: anonymous if who is None else ok


# url name -> (expected(who), how to build its arguments from the demo)
EXPECTED = {
    "home": (lambda who: 302, None),
    "favicon": (lambda who: 200, None),  # public, like every static file
    "health": (lambda who: 200, None),  # public for monitoring: a status and provider codes, no secret
    "healthz": (lambda who: 200, None),  # public for load balancers: the process answers
    "readyz": (lambda who: 503, None),  # public for load balancers; no worker runs in these tests
    "metrics": (lambda who: 404, None),  # off without METRICS_TOKEN (tests/ops/test_metrics.py turns it on)
    "login": (lambda who: 200 if who is None else 302, None),
    "logout": (lambda who: 405, None),  # POST only (CSRF-protected)
    # Sign in with Alibaba Cloud: off (404) without OIDC_CLIENT_ID, as here; tests/oidc/ turns it on.
    "oidc_authentication_init": (lambda who: 404, None),
    "oidc_authentication_callback": (lambda who: 404, None),
    "set_language": (lambda who: 302, None),  # a GET changes nothing, it only goes back
    "alerts:management_center": (signed_in(200), None),  # lists only what the identity may open
    "alerts:go_to_workspace": (signed_in(302), None),  # a GET form; the gate decides at the target
    "alerts:choose_region": (lambda who: 405, None),
    "alerts:alert_history": (gate(FULL | VIEWER), "workspace"),
    "alerts:alert_detail": (gate(FULL | VIEWER), "alert"),
    "alerts:alert_resources": (gate(FULL), "workspace"),
    "alerts:api_tokens": (gate(FULL), "workspace"),
    "alerts:webhook": (gate(FULL), "workspace"),
    "alerts:test_message": (gate(FULL, ok=405), "method"),
    "alerts:alternate_contact": (gate(FULL, ok=405), "workspace"),
    "contacts:alert_contacts": (lambda who: 302, "workspace"),
    "contacts:ram_users": (gate(FULL | VIEWER), "workspace"),
    "contacts:ram_roles": (gate(FULL | VIEWER), "workspace"),
    "contacts:edit": (gate(FULL), "principal"),
    "contacts:resend": (gate(FULL, ok=405), "method"),
    "contacts:activate": (lambda who: 404, "link"),  # public; an unknown link is a clear 404 page for everyone
    "contacts:outbox": (lambda who: 404, None),  # a development page: off with DEBUG off (tests run so)
}
NOT_CONSOLE = ("admin:", "api:")  # the support admin and the JSON API have their own tests


def console_url_names():
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return sorted({n for n in walk(get_resolver().url_patterns) if not n.startswith(NOT_CONSOLE)})


def test_A4_every_console_url_has_an_entry_in_the_matrix():
    assert set(console_url_names()) == set(EXPECTED), "add the new URL to EXPECTED with who may open it"


def url_for(name, demo):
    ws = demo["workspaces"]["demo_workspace"]
    alice = demo["principals"][("intl", "alice")]
    kind = EXPECTED[name][1]
    if kind == "alert":
        return reverse(name, args=[ws.pk, Alert.objects.get_or_create(workspace=ws, title="Matrix")[0].pk])
    args = {
        None: [],
        "workspace": [ws.pk],
        "principal": [ws.pk, alice.pk],
        "method": [ws.pk, alice.contact_methods.get(channel="email").pk],
        "link": ["MQ", "nope-nope"],
    }[kind]
    return reverse(name, args=args)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_A1_A2_A4_view_matrix(demo, django_user_model, name):
    url = url_for(name, demo)
    for who in IDENTITIES:
        client = Client()
        if who is not None:
            client.force_login(django_user_model.objects.get(username=who))
        response = client.get(url)
        expected = EXPECTED[name][0](who)
        if expected == LOGIN:
            assert response.status_code == 302 and response["Location"].startswith(reverse("login")), (name, who)
        else:
            assert response.status_code == expected, (name, who, response.status_code)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_E2_every_console_post_without_a_csrf_token_is_refused(demo, django_user_model, name):
    url = url_for(name, demo)
    for who in ("dw-admin", None):
        client = Client(enforce_csrf_checks=True)
        if who:
            client.force_login(django_user_model.objects.get(username=who))
        response = client.post(url, {"principal": "", "action": "remove", "confirmed": "1"})
        assert response.status_code == 403 and b"CSRF" in response.content, (name, who, response.status_code)
