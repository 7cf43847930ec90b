"""Development pages (issue 13): the console's own 404 page with DEBUG on, the admin history page
under the CSP, the Outbox in local time, and every console page in Chinese."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse


@override_settings(DEBUG=True)
@pytest.mark.parametrize("path", ["/no-such-page/", "/workspaces/999999/alert-history/nope/"])
def test_E1_make_run_shows_our_own_404_not_the_url_list(demo, sign_in, path):
    response = sign_in("dw-admin").get(path)
    html = response.content.decode()
    assert response.status_code == 404 and "Page not found" in html
    assert "URLconf" not in html and "management-center/" not in html.split("<main")[1]


@override_settings(DEBUG=True)
def test_E1_a_404_raised_by_a_view_is_our_page_too(demo, sign_in):
    ws = demo["workspaces"]["demo_workspace"]
    response = sign_in("dw-admin").get(reverse("contacts:edit", args=[ws.pk, 999999]))
    assert response.status_code == 404 and "There is nothing at this address." in response.content.decode()


def test_E2_admin_history_page_has_no_inline_style(demo, sign_in):
    alice = demo["principals"][("intl", "alice")]
    client = sign_in("support")
    url = reverse("admin:contacts_principal_history", args=[alice.pk])
    html = client.get(url).content.decode()
    assert client.get(url).status_code == 200 and not re.search(r"\sstyle=", html)


# Product names, codes and the demo data's own names: the only Latin words a Chinese page may show.
ALLOWED = {
    "DataWorks",
    "RAM",
    "API",
    "Webhook",
    "URL",
    "HTTPS",
    "HTTP",
    "JSON",
    "Alertmanager",
    "Alibaba",
    "Cloud",
    "ID",
    "SMS",
    "Bearer",
    "HMAC",
    "SHA",
    "Token",
    "OIDC",
    "Prometheus",
    # an HTTP method, a header, a signature scheme and the recipients' syntax, shown as code
    "POST",
    "role",
    "HMAC-SHA",
    "X-Signature",
    "https",
    "sha",
}


def english_words(html, data_words):
    body = html.split("<body", 1)[1].split(">", 1)[1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", body)
    text = re.sub(r"\S+@\S+|https?://\S+|/[\w/.-]+", " ", text)  # addresses and paths
    text = re.sub(r"\b[A-Z]+(?:_[A-Z]+)+\b", " ", text)  # codes such as SEND_OVERLIMIT, named in a sentence
    words = set(re.findall(r"[A-Za-z][A-Za-z'-]+", text))
    return sorted(w for w in words if w not in ALLOWED and w.lower() not in data_words)


@pytest.mark.parametrize(
    "name",
    [
        "ram_users",
        "ram_roles",
        "edit",
        "alert_history",
        "alert_resources",
        "api_tokens",
        "webhook",
        "management",
    ],
)
def test_T3_every_console_page_in_chinese_has_no_english_words(demo, sign_in, name):
    from alerts.models import Workspace
    from contacts.models import Principal

    ws = demo["workspaces"]["demo_workspace"]
    alice = demo["principals"][("intl", "alice")]
    url = {
        "ram_users": reverse("contacts:ram_users", args=[ws.pk]),
        "ram_roles": reverse("contacts:ram_roles", args=[ws.pk]),
        "edit": reverse("contacts:edit", args=[ws.pk, alice.pk]),
        "alert_history": reverse("alerts:alert_history", args=[ws.pk]),
        "alert_resources": reverse("alerts:alert_resources", args=[ws.pk]),
        "api_tokens": reverse("alerts:api_tokens", args=[ws.pk]),
        "webhook": reverse("alerts:webhook", args=[ws.pk]),
        "management": reverse("alerts:management_center"),
    }[name]
    client = sign_in("dw-admin")
    client.post(reverse("set_language"), {"language": "zh-hans"})
    data = " ".join(
        [f"{p.name} {p.display_name}" for p in Principal.objects.all()]
        + [f"{w.name} {w.account.name}" for w in Workspace.objects.select_related("account")]
        + ["dw-admin", "demo-intl", "English"]  # the language switch names each language in its own
    )
    data_words = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]+", data)}
    assert english_words(client.get(url).content.decode(), data_words) == []


def test_T3_admin_history_in_chinese(demo, sign_in):
    alice = demo["principals"][("intl", "alice")]
    client = sign_in("support")
    client.post(reverse("set_language"), {"language": "zh-hans"})
    html = client.get(reverse("admin:contacts_principal_history", args=[alice.pk])).content.decode()
    for english in (">Changes<", ">phone<", ">email<", ">None<"):
        assert english not in html
    assert "变更" in html and "手机号" in html
