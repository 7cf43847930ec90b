"""Concurrent edits of a contact are never lost silently (rules C3, C12, C13, E1): the Edit form
carries the principal's version; a stale submit changes nothing and shows the values saved now,
who saved them and when, and a second Confirm applies."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contacts.models import Principal
from contacts.services import contact_update
from contacts.versioning import StaleEdit
from tests.concurrency import race

from .conftest import admin_principal_change


@pytest.fixture
def ws(demo):
    return demo["workspaces"]["demo_workspace"]


@pytest.fixture
def other_admin(demo, django_user_model):
    """A second administrator in another browser."""
    client = Client()
    client.force_login(django_user_model.objects.get(username="owner"))
    return client


def edit_url(ws, principal):
    return reverse("contacts:edit", args=[ws.pk, principal.pk])


def form_version(html):
    return int(re.search(r'<input type="hidden" name="version" value="(\d+)"', html).group(1))


def open_form(client, ws, principal):
    return form_version(client.get(edit_url(ws, principal)).content.decode())


def confirm(client, ws, principal, version, **values):
    data = {"phone": "", "email": "", "language": "auto", "version": version, **values}
    return client.post(edit_url(ws, principal), data)


def newest_change_time(principal):
    record = Principal.history.filter(id=principal.pk).order_by("-history_date").first()
    return timezone.localtime(record.history_date).strftime("%Y-%m-%d %H:%M:%S")


def test_C3_E1_two_stale_submits_in_a_row_change_nothing_then_confirm_applies(ws, sign_in, other_admin, alice):
    mine = sign_in("dw-admin")
    version = open_form(mine, ws, alice)
    assert open_form(other_admin, ws, alice) == version

    # The other administrator saves first.
    assert confirm(other_admin, ws, alice, version, email="theirs@example.com", language="en").status_code == 302

    # My stale form: nothing saved; the values saved now, who and when; my values kept in the form.
    first = confirm(mine, ws, alice, version, email="mine@example.com", language="zh-hans")
    html = first.content.decode()
    assert first.status_code == 409
    assert f"Not saved: owner changed this at {newest_change_time(alice)}, after you opened this page." in html
    assert "theirs@example.com" in html and "English" in html  # saved now
    assert 'value="mine@example.com"' in html  # mine, still in the form
    assert "press Confirm again to save yours" in html
    alice.refresh_from_db()
    assert (alice.email, alice.language) == ("theirs@example.com", "en")
    new_version = form_version(html)
    assert new_version == alice.version and new_version != version

    # The same stale form sent again (a double click, the browser's resend): refused again.
    again = confirm(mine, ws, alice, version, email="mine@example.com", language="zh-hans")
    assert again.status_code == 409 and "Not saved" in again.content.decode()
    alice.refresh_from_db()
    assert alice.email == "theirs@example.com"

    # Another change lands while I read: the re-rendered form is stale in turn.
    assert confirm(other_admin, ws, alice, new_version, email="theirs2@example.com", language="en").status_code == 302
    third = confirm(mine, ws, alice, new_version, email="mine@example.com", language="zh-hans")
    assert third.status_code == 409 and "theirs2@example.com" in third.content.decode()

    # Confirm again with what the page now carries: applied.
    applied = confirm(
        mine, ws, alice, form_version(third.content.decode()), email="mine@example.com", language="zh-hans"
    )
    assert applied.status_code == 302
    alice.refresh_from_db()
    assert (alice.email, alice.language) == ("mine@example.com", "zh-hans")


def test_C3_T3_the_conflict_in_chinese(ws, sign_in, other_admin, alice):
    mine = sign_in("dw-admin")
    mine.post(reverse("set_language"), {"language": "zh-hans"})
    version = open_form(mine, ws, alice)
    confirm(other_admin, ws, alice, version, email="theirs@example.com")
    html = confirm(mine, ws, alice, version, email="mine@example.com").content.decode()
    assert f"未保存：在您打开此页面之后，owner 于 {newest_change_time(alice)} 修改了此内容。" in html
    assert "当前已保存" in html and "再次点击“确认”保存您的值" in html


def test_C3_the_service_refuses_a_stale_version(alice):
    """The version check itself: this fails if contact_update stops comparing versions."""
    version = Principal.objects.get(pk=alice.pk).version
    contact_update(principal=alice, phone="", email="theirs@example.com", language="en", version=version)
    with pytest.raises(StaleEdit) as caught:
        contact_update(principal=alice, phone="", email="mine@example.com", language="zh-hans", version=version)
    alice.refresh_from_db()
    assert (alice.email, alice.language) == ("theirs@example.com", "en")
    assert caught.value.version == alice.version == version + 1


def test_C3_a_form_without_its_version_is_treated_as_stale(ws, sign_in, alice):
    response = sign_in("dw-admin").post(edit_url(ws, alice), {"phone": "", "email": "x@example.com", "language": "en"})
    assert response.status_code == 409
    alice.refresh_from_db()
    assert alice.email == ""


def test_C3_an_unchanged_submit_does_not_change_the_version(ws, sign_in, alice):
    client = sign_in("dw-admin")
    version = open_form(client, ws, alice)
    assert confirm(client, ws, alice, version).status_code == 302
    alice.refresh_from_db()
    assert alice.version == version


def test_C12_sign_in_sync_bumps_the_version_and_is_named(ws, sign_in, alice):
    from contacts.models import RamDirectoryEntry
    from contacts.sync import contact_sync_at_sign_in

    mine = sign_in("dw-admin")
    version = open_form(mine, ws, alice)
    RamDirectoryEntry.objects.create(account=alice.account, kind="user", name="alice", email="alice@ram.example.com")
    contact_sync_at_sign_in(principal=alice)
    html = confirm(mine, ws, alice, version, email="mine@example.com").content.decode()
    assert "Not saved: the sign-in sync from the RAM directory changed this at" in html
    assert "alice@ram.example.com" in html
    alice.refresh_from_db()
    assert alice.email == "alice@ram.example.com"


def test_C13_an_admin_save_bumps_the_version_and_is_named(ws, sign_in, alice, client, django_user_model):
    mine = sign_in("dw-admin")
    version = open_form(mine, ws, alice)
    support = Client()
    support.force_login(django_user_model.objects.get(username="support"))
    response = admin_principal_change(support, alice, display_name="Alice W.", phone="", email="", language="en")
    assert response.status_code == 302
    html = confirm(mine, ws, alice, version, email="mine@example.com").content.decode()
    assert "Not saved: support changed this at" in html
    alice.refresh_from_db()
    assert alice.language == "en" and alice.email == ""


def test_C13_every_save_bumps_the_version_even_from_a_stale_copy(alice):
    """The bump is version = version + 1 in the UPDATE: two saves from copies loaded together
    give two versions, never the same one twice."""
    first, second = Principal.objects.get(pk=alice.pk), Principal.objects.get(pk=alice.pk)
    first.display_name = "A"
    first.save()
    second.display_name = "B"
    second.save(update_fields=["display_name"])
    assert (first.version, second.version) == (alice.version + 1, alice.version + 2)
    assert Principal.objects.get(pk=alice.pk).version == alice.version + 2


@pytest.mark.django_db(transaction=True)
def test_C3_two_submits_of_one_version_at_once_apply_once():
    """The principal's row lock: the second waits, then finds the version moved on."""
    from alerts.demo import demo_load

    demo_load(password="demo")
    alice = Principal.objects.get(account__name="demo-intl", name="alice")
    version = alice.version
    results = race(
        *[
            lambda e=e: contact_update(principal=alice, phone="", email=e, language="en", version=version)
            for e in ("one@example.com", "two@example.com")
        ]
    )
    assert sorted(type(r).__name__ for r in results) == ["ContactChange", "StaleEdit"]
    alice.refresh_from_db()
    assert alice.version == version + 1
