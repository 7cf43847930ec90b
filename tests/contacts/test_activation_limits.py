"""The activation message limits (rules C10, E1): at most ACTIVATION_RESEND_LIMIT messages to one
number or address and ACTIVATION_CONTACT_LIMIT to one contact per window, the first send at
Confirm included, whatever edits, methods or principals caused them."""

import math
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from contacts.models import ActivationMessage, ContactMethod, Principal
from contacts.services import ActivationLimited, ResendLimited, activation_resend, contact_update
from tests.concurrency import race

from .conftest import admin_principal_change

A, B, C = "+8613912345678", "+8613912345679", "+8613912345670"


@pytest.fixture
def edit(alice, django_capture_on_commit_callbacks):
    """edit(phone=..., email=...) as an administrator's Confirm, its messages sent at once;
    returns the ContactChange."""

    def _edit(phone="", email="", language="auto", principal=alice):
        with django_capture_on_commit_callbacks(execute=True):
            return contact_update(principal=principal, phone=phone, email=email, language=language)

    return _edit


def texts_to(sms_outbox, number):
    return [m for m in sms_outbox if m.to == number]


def after(limited_error_or_message_time):
    """The 'Try again after HH:MM' of a message sent at `sent_at`: the window later, in the
    console's time zone, rounded up to the minute."""
    moment = timezone.localtime(limited_error_or_message_time)
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment.strftime("%H:%M")


def oldest_to(address):
    return ActivationMessage.objects.filter(address=address).order_by("sent_at").first().sent_at


def test_C10_alternating_two_numbers_in_edit_sends_at_most_3_to_each(edit, alice, sms_outbox, settings):
    """Seen: alternating two numbers in Edit sent 5 texts to one number in 5 seconds."""
    for number in (A, B, A, B, A, B):
        edit(phone=number)
    assert len(texts_to(sms_outbox, A)) == 3 and len(texts_to(sms_outbox, B)) == 3
    with pytest.raises(ActivationLimited) as caught:
        edit(phone=A)
    assert caught.value.limited.scope == "phone"
    message = caught.value.message_dict["phone"][0]
    window_end = oldest_to(A) + timedelta(seconds=settings.ACTIVATION_RESEND_WINDOW_SECONDS)
    assert "Too many activation messages to this number (at most 3 in 10 minutes)" in message
    assert f"Try again after {after(window_end)}, in 10 minutes." in message
    assert len(texts_to(sms_outbox, A)) == 3


def test_C10_clearing_and_re_entering_a_number_counts_every_send(edit, alice, sms_outbox):
    """A cleared value deletes its method; the messages it sent still count."""
    for _ in range(3):
        edit(phone=A)
        edit(phone="")
    assert ActivationMessage.objects.filter(address=A, method__isnull=True).count() == 3
    with pytest.raises(ActivationLimited):
        edit(phone=A)
    assert len(texts_to(sms_outbox, A)) == 3
    alice.refresh_from_db()
    assert not alice.phone and not alice.contact_methods.exists()


def test_C10_at_most_6_per_contact_across_numbers_and_addresses(edit, alice, sms_outbox, mailoutbox):
    edit(phone=A, email="a1@example.com")
    edit(phone=B, email="a2@example.com")
    edit(phone=C, email="a3@example.com")
    assert len(sms_outbox) + len(mailoutbox) == 6
    with pytest.raises(ActivationLimited) as caught:
        edit(phone="+8613912345671", email="a3@example.com")
    assert caught.value.limited.scope == "contact" and caught.value.limited.limit == 6
    assert (
        "Too many activation messages for this contact (at most 6 in 10 minutes"
        in caught.value.message_dict["phone"][0]
    )
    assert "email" not in caught.value.message_dict  # the unchanged email sends nothing
    assert len(sms_outbox) + len(mailoutbox) == 6


def test_C10_contact_limit_is_a_setting(edit, settings, sms_outbox):
    settings.ACTIVATION_CONTACT_LIMIT = 2
    edit(phone=A)
    edit(phone=B)
    with pytest.raises(ActivationLimited) as caught:
        edit(phone=C)
    assert caught.value.limited.limit == 2 and len(sms_outbox) == 2


def test_C10_one_edit_with_two_new_values_counts_both(edit, settings, sms_outbox, mailoutbox):
    settings.ACTIVATION_CONTACT_LIMIT = 3
    edit(phone=A, email="a1@example.com")
    with pytest.raises(ActivationLimited) as caught:
        edit(phone=B, email="a2@example.com")
    assert set(caught.value.message_dict) == {"phone", "email"}
    assert len(sms_outbox) + len(mailoutbox) == 2


def test_C10_the_limit_per_address_holds_across_principals(edit, demo, sms_outbox):
    bob = Principal.objects.get(account__name="demo-intl", name="bob")
    carol = Principal.objects.get(account__name="demo-intl", name="carol")
    edit(phone=A)
    edit(phone=A, principal=bob)
    edit(phone=A, principal=carol)
    dave = Principal.objects.get(account__name="demo-intl", name="dave")
    with pytest.raises(ActivationLimited):
        edit(phone=A, principal=dave)
    assert len(texts_to(sms_outbox, A)) == 3


def test_C10_email_addresses_count_whatever_their_case(edit, mailoutbox):
    for address in ("Alice@Example.com", "alice@example.com", "ALICE@example.com"):
        edit(email=address)
    with pytest.raises(ActivationLimited):
        edit(email="aLiCe@example.com")
    assert len(mailoutbox) == 3


def test_C10_E1_a_refused_edit_saves_nothing(edit, alice, sms_outbox, mailoutbox):
    """E1: refused as a whole: not the language, not the other value, no message, no version."""
    for number in (A, B, A, B, A, B):
        edit(phone=number, email="")
    alice.refresh_from_db()
    before = (str(alice.phone), alice.email, alice.language, alice.version, ActivationMessage.objects.count())
    with pytest.raises(ValidationError):
        edit(phone=A, email="new@example.com", language="zh-hans")
    alice.refresh_from_db()
    assert (str(alice.phone), alice.email, alice.language, alice.version, ActivationMessage.objects.count()) == before
    assert not alice.contact_methods.filter(channel="email").exists() and mailoutbox == []


def test_C10_resends_and_edits_share_the_count(edit, alice, sms_outbox, settings):
    edit(phone=A)  # the first send at Confirm counts
    method = ContactMethod.objects.get(principal=alice, channel="phone")
    activation_resend(method=method)
    activation_resend(method=method)
    with pytest.raises(ResendLimited):
        activation_resend(method=method)
    with pytest.raises(ActivationLimited):
        edit(phone="")  # clearing removes the method ...
        edit(phone=A)  # ... but entering the number again does not reset the count
    assert ActivationMessage.objects.filter(address=A).count() == 3


def test_C10_clearing_a_value_is_never_limited(edit, alice):
    for number in (A, B, A, B, A, B):
        edit(phone=number)
    edit(phone="")  # sends nothing
    alice.refresh_from_db()
    assert not alice.phone


def test_C10_first_send_counts_for_the_resend(edit, alice, settings):
    settings.ACTIVATION_RESEND_LIMIT = 1
    edit(phone=A)
    with pytest.raises(ResendLimited):
        activation_resend(method=ContactMethod.objects.get(principal=alice, channel="phone"))


def test_C10_sends_are_possible_again_when_the_window_has_passed(edit, alice, settings, sms_outbox):
    for number in (A, B, A, B, A, B):
        edit(phone=number)
    past = timezone.now() - timedelta(seconds=settings.ACTIVATION_RESEND_WINDOW_SECONDS)
    ActivationMessage.objects.update(sent_at=past)  # exactly one window ago: no longer counted
    edit(phone=A)
    assert len(texts_to(sms_outbox, A)) == 4


def test_C10_messages_record_address_principal_and_channel(edit, alice, admin_user):
    contact_update(principal=alice, phone=A, email="alice@example.com", language="auto", by=admin_user)
    rows = {(m.channel, m.address, m.principal_id, m.sent_by_id) for m in ActivationMessage.objects.all()}
    assert rows == {("phone", A, alice.pk, admin_user.pk), ("email", "alice@example.com", alice.pk, admin_user.pk)}


@pytest.fixture
def ws(demo):
    return demo["workspaces"]["demo_workspace"]


def edit_in_console(client, ws, principal, **data):
    principal.refresh_from_db()
    values = {"phone": "", "email": "", "language": "auto", "version": principal.version, **data}
    return client.post(reverse("contacts:edit", args=[ws.pk, principal.pk]), values)


def test_C10_E1_edit_form_says_when_sending_is_possible_again(ws, sign_in, alice, edit, settings):
    for number in (A, B, A, B, A, B):
        edit(phone=number)
    response = edit_in_console(sign_in("dw-admin"), ws, alice, phone="8613912345678", language="en")
    html = response.content.decode()
    window_end = oldest_to(A) + timedelta(seconds=settings.ACTIVATION_RESEND_WINDOW_SECONDS)
    assert response.status_code == 200 and 'id="id_phone_error"' in html
    assert "Too many activation messages to this number" in html and f"Try again after {after(window_end)}" in html
    alice.refresh_from_db()
    assert str(alice.phone) == B and alice.language == "auto"


def test_C10_T3_the_limit_in_chinese(ws, sign_in, alice, edit, settings):
    for number in (A, B, A, B, A, B):
        edit(phone=number)
    client = sign_in("dw-admin")
    client.post(reverse("set_language"), {"language": "zh-hans"})
    html = edit_in_console(client, ws, alice, phone="8613912345678").content.decode()
    window_end = oldest_to(A) + timedelta(seconds=settings.ACTIVATION_RESEND_WINDOW_SECONDS)
    assert "发送到此号码的激活消息过多" in html and f"请在 {after(window_end)} 之后重试" in html


def test_C10_resend_button_says_when_sending_is_possible_again(ws, sign_in, alice, edit, settings):
    edit(phone=A)
    method = ContactMethod.objects.get(principal=alice, channel="phone")
    activation_resend(method=method)
    activation_resend(method=method)
    response = sign_in("dw-admin").post(reverse("contacts:resend", args=[ws.pk, method.pk]), follow=True)
    html = response.content.decode()
    window_end = oldest_to(A) + timedelta(seconds=settings.ACTIVATION_RESEND_WINDOW_SECONDS)
    minutes = math.ceil((window_end - timezone.now()).total_seconds() / 60)
    assert "Too many activation messages to this number" in html
    assert f"Try again after {after(window_end)}, in {minutes} minute" in html


def test_C10_the_time_is_in_the_consoles_time_zone(edit, settings):
    settings.TIME_ZONE = "America/New_York"
    for number in (A, B, A, B, A, B):
        edit(phone=number)
    with pytest.raises(ActivationLimited) as caught:
        edit(phone=A)
    window_end = oldest_to(A) + timedelta(seconds=settings.ACTIVATION_RESEND_WINDOW_SECONDS)
    with timezone.override("America/New_York"):
        expected = after(window_end)
    assert f"Try again after {expected}" in caught.value.message_dict["phone"][0]


def test_C10_C12_a_limited_sign_in_sync_is_applied_at_a_later_sign_in(edit, alice, demo, settings):
    from contacts.models import RamDirectoryEntry
    from contacts.sync import contact_sync_at_sign_in

    settings.ACTIVATION_RESEND_LIMIT = 1
    edit(phone=A)
    edit(phone="")
    RamDirectoryEntry.objects.create(account=alice.account, kind="user", name="alice", phone="86-13912345678")
    assert contact_sync_at_sign_in(principal=alice) is None
    entry = RamDirectoryEntry.objects.get(name="alice")
    assert entry.applied_phone is None  # not applied: the next sign-in tries again
    ActivationMessage.objects.update(sent_at=timezone.now() - timedelta(hours=1))
    assert contact_sync_at_sign_in(principal=alice).sent == ["phone"]
    alice.refresh_from_db()
    assert str(alice.phone) == A


def test_C10_C13_admin_form_refuses_a_limited_value(demo, client, django_user_model, alice, edit, settings):
    settings.ACTIVATION_RESEND_LIMIT = 1
    edit(phone=A)
    edit(phone="")
    client.force_login(django_user_model.objects.get(username="support"))
    alice.refresh_from_db()
    response = admin_principal_change(client, alice, phone="8613912345678", email="", language="auto")
    assert response.status_code == 200 and "Too many activation messages to this number" in response.content.decode()
    alice.refresh_from_db()
    assert not alice.phone


@pytest.fixture
def slow_check(monkeypatch):
    """Hold each of two sends after it has counted, until the other has counted too (or a second
    has passed): without something serialising them, both count before either writes."""
    from contacts import services

    check, meet = services._limit, threading.Barrier(2)

    def held(*args, scope, **kwargs):
        check(*args, scope=scope, **kwargs)
        if scope == "contact":  # the last count of a send
            try:
                meet.wait(timeout=1)
            except threading.BrokenBarrierError:
                pass

    monkeypatch.setattr(services, "_limit", held)


@pytest.mark.django_db(transaction=True)
def test_C10_two_edits_at_once_cannot_both_pass_the_limit(settings, slow_check):
    """The principal's row lock serialises the two edits: only one message is sent."""
    from alerts.demo import demo_load

    demo_load(password="demo")
    settings.ACTIVATION_CONTACT_LIMIT = 1
    alice = Principal.objects.get(account__name="demo-intl", name="alice")
    ContactMethod.objects.filter(principal=alice).delete()
    Principal.objects.filter(pk=alice.pk).update(phone="", email="")  # no method rows to lock
    results = race(
        lambda: contact_update(principal=alice, phone=A, email="", language="auto"),
        lambda: contact_update(principal=alice, phone="", email="race@example.com", language="auto"),
    )
    assert sorted(type(r).__name__ for r in results) == ["ActivationLimited", "ContactChange"]
    assert ActivationMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_C10_two_principals_at_once_cannot_both_pass_the_limit_of_one_number(settings, slow_check):
    """Sends to one number from two principals are serialised too (PostgreSQL: an advisory lock
    per address; SQLite: one writing transaction at a time)."""
    from alerts.demo import demo_load

    demo_load(password="demo")
    settings.ACTIVATION_RESEND_LIMIT = 1
    alice, bob = (Principal.objects.get(account__name="demo-intl", name=n) for n in ("alice", "bob"))
    results = race(*[lambda p=p: contact_update(principal=p, phone=A, email="", language="auto") for p in (alice, bob)])
    assert sorted(type(r).__name__ for r in results) == ["ActivationLimited", "ContactChange"]
    assert ActivationMessage.objects.filter(address=A).count() == 1


def test_C10_T3_limit_message_in_both_languages(edit, alice):
    for number in (A, B, A, B, A, B):
        edit(phone=number)
    for language, words in (("en", "Try again after"), ("zh-hans", "之后重试")):
        with translation.override(language), pytest.raises(ActivationLimited) as caught:
            edit(phone=A)
        assert words in caught.value.message_dict["phone"][0]
