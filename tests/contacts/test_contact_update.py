"""Saving a contact (rules C3, C4, C5, C6, C7): validation in the service, activation per changed method."""

import pytest
from django.core.exceptions import ValidationError

from contacts.language import alerting_language
from contacts.models import ActivationMessage, ContactMethod, Language
from contacts.services import contact_update

from .conftest import link_in

WAITING = ContactMethod.Status.WAITING_FOR_ACTIVATION
ACTIVATED = ContactMethod.Status.ACTIVATED


def methods(principal):
    return {m.channel: m for m in principal.contact_methods.all()}


def test_C7_new_values_wait_for_activation_and_send_one_message_each(
    alice, admin_user, mailoutbox, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change = contact_update(
            principal=alice, phone="8613912345678", email="Alice@Example.COM", language=Language.AUTO, by=admin_user
        )
    alice.refresh_from_db()
    assert str(alice.phone) == "+8613912345678"
    assert alice.email == "Alice@example.com"  # C5: domain lower-cased, local part kept
    assert {c: m.status for c, m in methods(alice).items()} == {"phone": WAITING, "email": WAITING}
    assert sorted(change.sent) == ["email", "phone"]
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["Alice@example.com"]
    assert len(sms_outbox) == 1 and sms_outbox[0].to == "+8613912345678"
    assert link_in(mailoutbox[0].body) != link_in(sms_outbox[0].body)  # each method its own link


def test_C7_unchanged_value_keeps_its_status(alice, django_capture_on_commit_callbacks, mailoutbox, sms_outbox):
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(principal=alice, phone="+8613912345678", email="alice@example.com", language="auto")
    ContactMethod.objects.filter(principal=alice).update(status=ACTIVATED)
    mailoutbox.clear()
    sms_outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        change = contact_update(principal=alice, phone="86 139-1234-5678", email="bob@example.com", language="en")
    m = methods(alice)
    assert m["phone"].status == ACTIVATED  # same number in another spelling is unchanged
    assert m["email"].status == WAITING
    assert change.sent == ["email"]
    assert len(sms_outbox) == 0 and len(mailoutbox) == 1


def test_C7_clearing_a_value_removes_the_method(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(principal=alice, phone="+8613912345678", email="alice@example.com", language="auto")
        change = contact_update(principal=alice, phone="", email="alice@example.com", language="auto")
    assert set(methods(alice)) == {"email"}
    assert change.removed == ["phone"]
    alice.refresh_from_db()
    assert alice.phone in ("", None)


@pytest.mark.parametrize(
    "phone, email, language, bad_field",
    [
        ("13912345678", "a@example.com", "auto", "phone"),
        ("+8613912345678", "not-an-email", "auto", "email"),
        ("+8613912345678", "a@example.com", "fr", "language"),
    ],
)
def test_E1_bad_input_changes_nothing(
    alice, phone, email, language, bad_field, mailoutbox, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(principal=alice, phone="+85291234567", email="old@example.com", language="en")
    mailoutbox.clear()
    sms_outbox.clear()
    alice.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        contact_update(principal=alice, phone=phone, email=email, language=language)
    assert bad_field in caught.value.message_dict
    alice.refresh_from_db()
    assert (str(alice.phone), alice.email, alice.language) == ("+85291234567", "old@example.com", "en")
    assert not mailoutbox and not sms_outbox
    assert ActivationMessage.objects.filter(method__principal=alice).count() == 2


def test_C5_email_validated_and_domain_lower_case(alice):
    contact_update(principal=alice, phone="", email="  Ops.Team@MAIL.Example.ORG ", language="auto")
    alice.refresh_from_db()
    assert alice.email == "Ops.Team@mail.example.org"


@pytest.mark.parametrize("site, expected", [("china", "zh-hans"), ("international", "en"), ("japan", "en")])
def test_C6_auto_language_follows_registration_site(alice, site, expected):
    alice.account.site = site
    assert alerting_language(alice) == expected


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_C6_explicit_language_wins_over_site(cn_dev, language):
    cn_dev.language = language
    assert alerting_language(cn_dev) == language


def test_C6_activation_message_in_contact_language(cn_dev, alice, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(principal=cn_dev, phone="", email="dev@example.cn", language="auto")
        contact_update(principal=alice, phone="", email="alice@example.com", language="auto")
    chinese, english = mailoutbox
    assert "激活" in chinese.subject and chinese.extra_headers["Content-Language"] == "zh-hans"
    assert "Activate" in english.subject and english.extra_headers["Content-Language"] == "en"


def test_C13_every_change_is_recorded_with_who_and_values(alice, admin_user):
    contact_update(principal=alice, phone="+8613912345678", email="", language="auto", by=admin_user)
    contact_update(principal=alice, phone="+85291234567", email="", language="en", by=admin_user)
    history = list(alice.history.order_by("history_date"))
    assert [str(h.phone) for h in history[-2:]] == ["+8613912345678", "+85291234567"]
    assert history[-1].history_user == admin_user
    delta = history[-1].diff_against(history[-2])
    assert {c.field for c in delta.changes} == {"phone", "language"}
