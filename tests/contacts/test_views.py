"""The Alert Contacts page (rules C1, C2, C3, C11, A3, E1)."""

import re

import pytest
from django.urls import reverse

from contacts.models import ContactMethod, Principal
from contacts.services import contact_update


@pytest.fixture
def ws(demo):
    return demo["workspaces"]["demo_workspace"]


def tab(client, ws, kind="ram_users", **params):
    return client.get(reverse(f"contacts:{kind}", args=[ws.pk]), params)


def row(html, name):
    return html.split(f'data-principal="{name}"')[1].split("</tr>")[0]


def test_C1_ram_user_tab_columns_and_statuses(ws, sign_in, alice):
    contact_update(principal=alice, phone="+8613912345678", email="alice@example.com", language="zh-hans")
    ContactMethod.objects.filter(principal=alice, channel="email").update(status="activated")
    html = tab(sign_in("dw-admin"), ws).content.decode()
    for header in [
        "Display Name",
        "Login Name",
        "Mobile Phone Number",
        "Email Address",
        "Alerting Language",
        "Operation",
    ]:
        assert header in html
    alice_row = row(html, "alice")
    assert "Alice Wang" in alice_row and "+8613912345678" in alice_row and "alice@example.com" in alice_row
    assert "Waiting for Activation" in alice_row and "Activated" in alice_row and "Chinese" in alice_row


def test_C1_ram_role_tab_lists_roles_only(ws, sign_in):
    html = tab(sign_in("dw-admin"), ws, "ram_roles").content.decode()
    assert "Role Name" in html and "OnCallBackup" in html and 'data-principal="alice"' not in html


def test_C1_lists_every_principal_of_the_account_added_to_any_workspace(ws, sign_in, demo):
    account = demo["accounts"]["intl"]
    Principal.objects.create(account=account, kind="user", name="loner")  # in no workspace
    html = tab(sign_in("dw-admin"), ws).content.decode()
    assert 'data-principal="outsider"' in html  # member of analytics_sg only
    assert 'data-principal="loner"' not in html
    assert 'data-principal="cn-dev"' not in html  # another account


@pytest.mark.parametrize(
    "term, expected",
    [
        ("alice", "alice"),
        ("Wang", "alice"),
        ("13912345678", "alice"),
        ("ALICE@EXAMPLE", "alice"),
        ("+86 139 1234", "alice"),
    ],
)
def test_C1_search_by_name_login_phone_email(ws, sign_in, alice, term, expected):
    contact_update(principal=alice, phone="+8613912345678", email="alice@example.com", language="auto")
    html = tab(sign_in("dw-admin"), ws, q=term).content.decode()
    assert html.count("data-principal=") == 1 and f'data-principal="{expected}"' in html


def test_C1_paginates_50_per_page(ws, sign_in, demo):
    account = demo["accounts"]["intl"]
    from alerts.models import Membership

    for i in range(60):
        p = Principal.objects.create(account=account, kind="user", name=f"bulk-{i:03}")
        Membership.objects.create(workspace=ws, principal=p)
    client = sign_in("dw-admin")
    first = tab(client, ws).content.decode()
    assert first.count("data-principal=") == 50 and "Page 1 of 2" in first
    second = tab(client, ws, page=2).content.decode()
    assert (
        second.count("data-principal=")
        == Principal.objects.filter(account=account, kind="user", memberships__isnull=False).distinct().count() - 50
    )
    assert tab(client, ws, page="zzz").status_code == 200  # E1: a bad page number is page 1


def test_C2_not_an_alert_contact_is_marked(ws, sign_in):
    html = tab(sign_in("dw-admin"), ws).content.decode()
    assert "Not an alert contact" in row(html, "developer")


def test_C2_empty_and_no_match_say_how_to_add(ws, sign_in):
    html = tab(sign_in("dw-admin"), ws, q="nobody-like-this").content.decode()
    assert "No principal matches" in html and "added to a workspace" in html


def test_C3_edit_form_and_confirm(ws, sign_in, alice, mailoutbox, sms_outbox, django_capture_on_commit_callbacks):
    client = sign_in("dw-admin")
    url = reverse("contacts:edit", args=[ws.pk, alice.pk])
    page = client.get(url).content.decode()
    for label in ["Mobile Phone Number", "Email Address", "Alerting Language", "Auto", "Chinese", "English", "Confirm"]:
        assert label in page
    version = re.search(r'<input type="hidden" name="version" value="(\d+)"', page).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {"phone": "8613912345678", "email": "alice@example.com", "language": "en", "version": version},
            follow=True,
        )
    html = response.content.decode()
    assert "An activation link is queued for sending" in html
    assert "Waiting for Activation" in row(html, "alice")
    assert len(mailoutbox) == 1 and len(sms_outbox) == 1


@pytest.mark.parametrize(
    "data, message",
    [
        ({"phone": "13912345678", "email": "", "language": "auto"}, "8613912345678"),
        ({"phone": "", "email": "nope@", "language": "auto"}, "valid email address"),
        ({"phone": "", "email": "", "language": "klingon"}, "Select a valid choice"),
        ({"phone": "x" * 100, "email": "", "language": "auto"}, "at most 40 characters"),
    ],
)
def test_C3_C4_E1_form_errors_are_clear_and_change_nothing(ws, sign_in, alice, data, message):
    response = sign_in("dw-admin").post(reverse("contacts:edit", args=[ws.pk, alice.pk]), data)
    assert response.status_code == 200 and message in response.content.decode()
    alice.refresh_from_db()
    assert not alice.phone and not alice.email and not alice.contact_methods.exists()


def test_C4_T3_phone_error_in_the_users_language(ws, sign_in, alice):
    client = sign_in("dw-admin")
    client.post(reverse("set_language"), {"language": "zh-hans"})
    response = client.post(
        reverse("contacts:edit", args=[ws.pk, alice.pk]), {"phone": "13912345678", "email": "", "language": "auto"}
    )
    assert "国家" in response.content.decode() and "8613912345678" in response.content.decode()


def test_A3_contacts_viewer_is_read_only(ws, sign_in, alice):
    contact_update(principal=alice, phone="+8613912345678", email="", language="auto")
    client = sign_in("contacts-viewer")
    html = tab(client, ws).content.decode()
    assert "alice" in html and ">Edit<" not in html and "Resend" not in html
    assert 'name="principal"' not in html  # no alternate contact form
    method = alice.contact_methods.get()
    assert client.get(reverse("contacts:edit", args=[ws.pk, alice.pk])).status_code == 403
    assert (
        client.post(
            reverse("contacts:edit", args=[ws.pk, alice.pk]), {"phone": "", "email": "", "language": "en"}
        ).status_code
        == 403
    )
    assert client.post(reverse("contacts:resend", args=[ws.pk, method.pk])).status_code == 403
    assert client.post(reverse("alerts:alternate_contact", args=[ws.pk]), {"principal": alice.pk}).status_code == 403
    alice.refresh_from_db()
    assert str(alice.phone) == "+8613912345678"


@pytest.mark.parametrize(
    "username, status",
    [
        (None, 302),
        ("developer", 403),
        ("outsider", 403),
        ("cn-owner", 403),
        ("contacts-viewer", 403),
        ("alert-admin", 200),
        ("owner", 200),
    ],
)
def test_A1_A4_edit_page_gate(ws, sign_in, alice, username, status):
    assert sign_in(username).get(reverse("contacts:edit", args=[ws.pk, alice.pk])).status_code == status


def test_A2_A4_principal_of_another_account_is_not_found(ws, sign_in, cn_dev):
    assert sign_in("dw-admin").get(reverse("contacts:edit", args=[ws.pk, cn_dev.pk])).status_code == 404
    method = ContactMethod.objects.create(principal=cn_dev, channel="email")
    assert sign_in("dw-admin").post(reverse("contacts:resend", args=[ws.pk, method.pk])).status_code == 404


def test_C11_alternate_contact_chosen_among_members(ws, sign_in, demo):
    client = sign_in("dw-admin")
    backup = demo["principals"][("intl", "OnCallBackup")]
    response = client.post(reverse("alerts:alternate_contact", args=[ws.pk]), {"principal": backup.pk}, follow=True)
    assert "Alternate alert contact saved." in response.content.decode()
    ws.refresh_from_db()
    assert ws.alternate_contact == backup
    html = tab(client, ws).content.decode()
    assert "OnCallBackup" in html.split("Alternate Alert Contact")[1].split("</section>")[0]
    assert ws.history.latest().history_user.username == "dw-admin"
    assert "Remove alternate alert contact" in html
    roles = tab(client, ws, "ram_roles").content.decode()
    assert "Set as Alternate" not in row(roles, "OnCallBackup") and "Set as Alternate" in row(roles, "DataOpsRole")


def test_C11_set_as_alternate_offered_only_for_members_of_this_workspace(ws, sign_in):
    html = tab(sign_in("dw-admin"), ws).content.decode()
    assert "Set as Alternate" in row(html, "alice")
    assert "Set as Alternate" not in row(html, "outsider")  # listed (member of analytics_sg) but not of this workspace


@pytest.mark.parametrize("value", ["outsider", "cn-dev", "abc", "999999"])
def test_C11_E1_alternate_must_be_a_member(ws, sign_in, demo, value):
    lookup = {"outsider": ("intl", "outsider"), "cn-dev": ("cn", "cn-dev")}
    principal_id = demo["principals"][lookup[value]].pk if value in lookup else value
    response = sign_in("dw-admin").post(
        reverse("alerts:alternate_contact", args=[ws.pk]), {"principal": principal_id}, follow=True
    )
    # The help text of the page holds the same words: look in the error messages only.
    errors = re.findall(r'<li class="message error">(.*?)</li>', response.content.decode(), re.S)
    assert errors == ["Choose a RAM user or RAM role that is a member of this workspace."]
    ws.refresh_from_db()
    assert ws.alternate_contact is None


def test_C11_alternate_can_be_cleared(ws, sign_in, demo):
    ws.alternate_contact = demo["principals"][("intl", "OnCallBackup")]
    ws.save()
    sign_in("dw-admin").post(reverse("alerts:alternate_contact", args=[ws.pk]), {"principal": "", "confirmed": "1"})
    ws.refresh_from_db()
    assert ws.alternate_contact is None


def test_outbox_page_shows_own_account_messages_only(
    ws, demo, sign_in, settings, alice, cn_dev, django_capture_on_commit_callbacks
):
    settings.OUTBOX_PAGE = True
    settings.MAILERS = {"default": {"BACKEND": "contacts.messaging.outbox.OutboxEmailBackend"}}
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "sms": "contacts.messaging.outbox.OutboxTransport",
    }
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(principal=alice, phone="8613912345678", email="", language="auto")
        contact_update(principal=cn_dev, phone="", email="dev@example.cn", language="auto")
    html = sign_in("dw-admin").get(reverse("contacts:outbox")).content.decode()
    assert "+8613912345678" in html and "/activate/" in html and "dev@example.cn" not in html
    assert "dev@example.cn" in sign_in("cn-owner").get(reverse("contacts:outbox")).content.decode()
    assert sign_in(None).get(reverse("contacts:outbox")).status_code == 302
    settings.OUTBOX_PAGE = False  # DEBUG is off in tests: a development page, gone
    assert sign_in("dw-admin").get(reverse("contacts:outbox")).status_code == 404


def test_outbox_page_absent_without_outbox_backend(demo, sign_in):
    assert sign_in("dw-admin").get(reverse("contacts:outbox")).status_code == 404


def members_add(ws, count, prefix):
    """`count` RAM users of the workspace's account, members of it, each with a waiting email."""
    from alerts.models import Membership

    made = Principal.objects.bulk_create(
        Principal(account_id=ws.account_id, kind="user", name=f"{prefix}-{i:03}", email=f"{prefix}{i}@example.com")
        for i in range(count)
    )
    Membership.objects.bulk_create(Membership(workspace=ws, principal=p) for p in made)
    ContactMethod.objects.bulk_create(ContactMethod(principal=p, channel="email") for p in made)
    return made


@pytest.mark.parametrize("params", [{}, {"q": "example.com"}, {"size": "100"}], ids=["tab", "search", "size"])
def test_C1_queries_per_page_do_not_grow_with_principals(
    ws, sign_in, demo, alice, django_assert_max_num_queries, monkeypatch, params
):
    """C1: the tab and its search ask the same number of queries (at most 10) for a few principals
    and for more than a page and more than the count limit: no query per row, and the count stops
    at the limit."""
    monkeypatch.setattr("contacts.views.COUNT_LIMIT", 100)
    client = sign_in("dw-admin")
    contact_update(principal=alice, phone="+8613912345678", email="alice@example.com", language="auto")
    with django_assert_max_num_queries(10) as small:
        tab(client, ws, **params)
    members_add(ws, 130, "many")
    with django_assert_max_num_queries(10) as large:
        html = tab(client, ws, **params).content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)
    assert html.count("data-principal=") == int(params.get("size", 50))


def test_C1_C11_an_alternate_contact_adds_no_query(ws, sign_in, demo, alice, django_assert_max_num_queries):
    """C11: the alternate contact's methods come with those of the page, in the same query."""
    contact_update(principal=alice, phone="+8613912345678", email="", language="auto")
    client = sign_in("dw-admin")
    with django_assert_max_num_queries(10) as without:
        tab(client, ws)
    ws.alternate_contact = alice
    ws.save()
    with django_assert_max_num_queries(10) as with_alternate:
        html = tab(client, ws).content.decode()
    assert len(with_alternate.captured_queries) == len(without.captured_queries)
    alternate = html.split("Alternate Alert Contact")[1].split("</section>")[0]
    assert "+8613912345678" in alternate and "Waiting for Activation" in alternate


def test_C1_count_stops_at_the_limit_and_every_principal_stays_reachable(ws, sign_in, demo, monkeypatch):
    """C1: past COUNT_LIMIT principals the tab says "more than" instead of counting every row, and
    Next still reaches every principal, the last page counted exactly."""
    monkeypatch.setattr("contacts.views.COUNT_LIMIT", 30)
    members_add(ws, 45, "bulk")
    expected = list(
        Principal.objects.filter(account_id=ws.account_id, kind="user", memberships__isnull=False, removed_at=None)
        .distinct()
        .order_by("name")
        .values_list("name", flat=True)
    )
    client = sign_in("dw-admin")
    first = tab(client, ws, size=20).content.decode()
    assert "More than 30 results" in first and "Page 1 (more than 30 in all)" in first
    seen, number = [], 1
    while True:
        html = tab(client, ws, size=20, page=number).content.decode()
        seen += re.findall(r'<tr data-principal="([^"]+)"', html)
        if "Next</a>" not in html:
            break
        number += 1
    assert seen == expected
    pages = -(-len(expected) // 20)
    assert number == pages and f"Page {pages} of {pages} ({len(expected)} in all)" in html
    assert f'data-principal="{expected[-1]}"' in tab(client, ws, size=20, page=999).content.decode()


def test_C1_search_counts_exactly_under_the_limit(ws, sign_in, demo):
    members_add(ws, 3, "found")
    html = tab(sign_in("dw-admin"), ws, q="FOUND").content.decode()
    assert "3 results" in html and html.count("data-principal=") == 3


def test_C1_C10_C11_row_links_are_the_views_urls(ws, sign_in, alice):
    """The Edit, Resend, Test and Set as Alternate actions of a row (built once per page, not
    reversed per row) go to the views they name."""
    contact_update(principal=alice, phone="+8613912345678", email="alice@example.com", language="auto")
    ContactMethod.objects.filter(principal=alice, channel="email").update(status="activated")
    phone = ContactMethod.objects.get(principal=alice, channel="phone")
    email = ContactMethod.objects.get(principal=alice, channel="email")
    alice_row = row(tab(sign_in("dw-admin"), ws).content.decode(), "alice")
    assert f'href="{reverse("contacts:edit", args=[ws.pk, alice.pk])}"' in alice_row
    assert f'action="{reverse("contacts:resend", args=[ws.pk, phone.pk])}"' in alice_row
    assert f'action="{reverse("alerts:test_message", args=[ws.pk, email.pk])}"' in alice_row
    assert f'action="{reverse("alerts:alternate_contact", args=[ws.pk])}"' in alice_row


def test_T3_edit_form_fully_translated(ws, sign_in, alice):
    client = sign_in("dw-admin")
    client.post(reverse("set_language"), {"language": "zh-hans"})
    html = client.get(reverse("contacts:edit", args=[ws.pk, alice.pk])).content.decode()
    assert "需包含国家代码" in html and "With the country code" not in html


@pytest.mark.parametrize(
    "seconds, english, chinese",
    [(86400, "valid for 24 hours", "有效期为 24 小时"), (7200, "valid for 2 hours", "有效期为 2 小时")],
)
def test_C8_edit_page_states_the_configured_link_lifetime(ws, sign_in, alice, settings, seconds, english, chinese):
    """The Edit form says how long the link works as ACTIVATION_LINK_TTL_SECONDS sets it, in both languages."""
    settings.ACTIVATION_LINK_TTL_SECONDS = seconds
    client = sign_in("dw-admin")
    url = reverse("contacts:edit", args=[ws.pk, alice.pk])
    assert english in client.get(url).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans"})
    assert chinese in client.get(url).content.decode()
