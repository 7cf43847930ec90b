"""Activation messages read right in their language (rules D3, C6, C7): a text message to a Chinese
mainland number is Chinese for international-site accounts; emails keep the contact's language;
plain-text bodies never carry HTML entities."""

import re

import pytest
from django.utils.html import urlize

from contacts.models import Account, Principal
from contacts.services import contact_update

ENTITIES = ("&lt;", "&gt;", "&quot;", "&amp;", "&#x27;", "&#39;", "&#34;")
TRICKY = '<b>"Tom & Jerry\'s"</b>'


def activate(principal, capture, *, phone="", email="", language="auto"):
    with capture(execute=True):
        contact_update(principal=principal, phone=phone, email=email, language=language)


@pytest.mark.parametrize("language", ["auto", "en", "zh-hans"])
def test_D3_C7_activation_text_to_a_mainland_number_is_chinese_on_the_international_site(
    alice, language, sms_outbox, mailoutbox, django_capture_on_commit_callbacks
):
    """D3: the international-site contact with a mainland number gets the activation text in Chinese."""
    activate(
        alice, django_capture_on_commit_callbacks, phone="8613912345678", email="alice@example.com", language=language
    )
    (text,) = sms_outbox
    assert text.language == "zh-hans"
    assert text.body.startswith("【DataWorks】此号码已被设置为账号")
    # Phones and the outbox page find the link only when it stands apart from the Chinese text.
    assert re.search(r"\shttp://testserver/activate/\S+$", text.body)
    assert 'href="http://testserver/activate/' in urlize(text.body)
    # The email keeps the contact's language (Auto = English on the international site, C6).
    (mail,) = mailoutbox
    expected = "zh-hans" if language == "zh-hans" else "en"
    assert mail.extra_headers["Content-Language"] == expected
    assert ("您好" in mail.body) is (expected == "zh-hans")


@pytest.mark.parametrize(
    "phone, language, expected",
    [
        ("+85291234567", "auto", "en"),  # Hong Kong is not the mainland (D2, D3)
        ("+14155552671", "zh-hans", "zh-hans"),
        ("+861012345678", "en", "en"),  # a mainland landline receives no text message in Chinese only
    ],
)
def test_D3_C6_activation_text_outside_the_mainland_keeps_the_contact_language(
    alice, phone, language, expected, sms_outbox, django_capture_on_commit_callbacks
):
    """D3, C6: outside the mainland the text follows the contact's alerting language."""
    activate(alice, django_capture_on_commit_callbacks, phone=phone, language=language)
    (text,) = sms_outbox
    assert text.language == expected
    assert text.body.startswith("【DataWorks】" if expected == "zh-hans" else "[DataWorks]")


def test_D3_C6_china_site_contact_with_english_keeps_english(cn_dev, sms_outbox, django_capture_on_commit_callbacks):
    """D3 only concerns the international site: a China-site contact who chose English reads English."""
    activate(cn_dev, django_capture_on_commit_callbacks, phone="+8613912345678", language="en")
    assert sms_outbox[0].language == "en" and sms_outbox[0].body.startswith("[DataWorks]")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_C7_activation_messages_have_no_html_entities(
    alice, language, sms_outbox, mailoutbox, django_capture_on_commit_callbacks
):
    """C7: names with <, ", ' and & reach the contact as written, in both languages."""
    Principal.objects.filter(pk=alice.pk).update(display_name=TRICKY)
    Account.objects.filter(pk=alice.account_id).update(name=TRICKY)
    alice.refresh_from_db()
    activate(
        alice, django_capture_on_commit_callbacks, phone="+14155552671", email="alice@example.com", language=language
    )
    (mail,) = mailoutbox
    texts = [mail.subject, mail.body, sms_outbox[0].body]
    assert TRICKY in mail.body and TRICKY in sms_outbox[0].body
    for text in texts:
        assert not any(entity in text for entity in ENTITIES), text
