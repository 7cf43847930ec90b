"""The console at the standard of a cloud console (issue 13): dense contact tables, forms that say
what is wrong and where, explicit region and language switches (rules C1, C3, T1, T3, A3)."""

import re

import pytest
from django.urls import reverse

from contacts.services import contact_update


@pytest.fixture
def ws(demo):
    return demo["workspaces"]["demo_workspace"]


@pytest.fixture
def alice(demo):
    return demo["principals"][("intl", "alice")]


def ram_users(client, ws, **params):
    return client.get(reverse("contacts:ram_users", args=[ws.pk]), params).content.decode()


def row(html, name):
    return html.split(f'data-principal="{name}"')[1].split("</tr>")[0]


def test_C1_one_row_per_contact_edit_first_the_rest_under_more(ws, sign_in, alice):
    contact_update(principal=alice, phone="+8613912345678", email="alice@example.org", language="auto")
    html = ram_users(sign_in("dw-admin"), ws)
    alice_row = row(html, "alice")
    assert alice_row.count(">Edit</a>") == 1
    more = alice_row.split('<details class="more">')[1].split("</details>")[0]
    assert "Resend text message" in more and "Resend email" in more and "Set as Alternate" in more
    assert "11 results" in html and 'name="size"' in html


def test_C1_page_size_is_the_readers_choice_and_pages_keep_it(ws, sign_in):
    client = sign_in("dw-admin")
    html = ram_users(client, ws, size="20")
    assert '<option value="20" selected>' in html
    assert ram_users(client, ws, size="7").count('<option value="50" selected>') == 1  # only the listed sizes


def test_A3_read_only_sign_in_gets_no_operation_column(ws, sign_in):
    html = ram_users(sign_in("contacts-viewer"), ws)
    assert ">Operation</th>" not in html and "<details" not in html.split("<table")[1]


def test_C3_errors_are_tied_to_their_fields_and_summarised_at_the_top(ws, sign_in, alice):
    response = sign_in("dw-admin").post(
        reverse("contacts:edit", args=[ws.pk, alice.pk]),
        {"phone": "13912345678", "email": "not-an-address", "language": "auto", "version": alice.version},
    )
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    for described in re.findall(r'aria-describedby="([^"]+)"', html):
        assert set(described.split()) <= ids, described  # every id named exists
    summary = html.split('class="error-summary"')[1].split("</div>")[0]
    assert "autofocus" in html.split('class="error-summary"')[1].split(">")[0]
    assert 'href="#id_phone"' in summary and 'href="#id_email"' in summary
    assert 'role="alert"' not in html.split("<form")[1]  # a list stays a list


def test_C3_success_says_queued_and_to_where(ws, sign_in, alice):
    client = sign_in("dw-admin")
    response = client.post(
        reverse("contacts:edit", args=[ws.pk, alice.pk]),
        {"phone": "8613912345678", "email": "alice@example.org", "language": "auto", "version": alice.version},
        follow=True,
    )
    html = response.content.decode()
    assert "An activation link is queued for sending: text message to +8613912345678; email to alice@example.org" in (
        html
    )


def test_T1_T3_region_and_language_change_only_on_a_button(ws, sign_in):
    html = sign_in("dw-admin").get(reverse("alerts:management_center")).content.decode()
    assert "data-autosubmit" not in html
    assert html.count('<button type="submit" class="btn-small">Switch</button>') == 2


def test_T1_switching_region_keeps_the_page_when_it_exists_there(demo, ws, sign_in):
    client = sign_in("dw-admin")
    other = demo["workspaces"]["analytics_sg"]
    history = reverse("alerts:alert_history", args=[ws.pk])
    response = client.post(reverse("alerts:choose_region"), {"region": other.region.code, "next": history})
    assert response["Location"] == reverse("alerts:alert_history", args=[other.pk])
    edit = reverse("contacts:edit", args=[ws.pk, demo["principals"][("intl", "alice")].pk])
    response = client.post(reverse("alerts:choose_region"), {"region": ws.region.code, "next": edit})
    assert response["Location"] == reverse("alerts:management_center")  # one record's page: not there
    response = client.post(reverse("alerts:choose_region"), {"region": ws.region.code, "next": history})
    assert response["Location"] == history


def test_skip_link_and_phone_menu_without_javascript(ws, sign_in):
    html = ram_users(sign_in("dw-admin"), ws)
    assert '<a class="skip-link" href="#main">' in html and 'id="main"' in html
    assert '<details class="navmenu sidenav">' in html
    assert html.index('<details class="navmenu') < html.index("<main")
