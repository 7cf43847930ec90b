"""National forms of Chinese mainland mobile numbers are refused, never guessed (rules C4).

Written without its 86, a mainland mobile such as `15012345678` is also a valid US number once a
`+` is put in front (`+1 501-234-5678`): only the country-code guard stands between the two. The
numbers below are all of that kind, so the guard, not phonenumbers' validity check, refuses them.
"""

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contacts.models import ContactMethod
from contacts.phones import phone_parse
from contacts.services import contact_update

EXAMPLE = "8613912345678"
NATIONAL_FORMS = ["15012345678", "130 1234 5678", "177-1234-5678", "180 1234 5678", "(166) 1234 5678"]


def digits(raw):
    return "".join(c for c in raw if c.isdigit())


@pytest.mark.parametrize("raw", NATIONAL_FORMS)
def test_C4_the_case_is_real_these_read_as_us_numbers_with_a_plus(raw):
    """C4: the premise of the tests below: with a bare `+` each national form is a valid US number."""
    number = phonenumbers.parse("+" + digits(raw), None)
    assert phonenumbers.is_valid_number(number) and phonenumbers.region_code_for_number(number) == "US"


@pytest.mark.parametrize("raw", NATIONAL_FORMS)
def test_C4_national_mainland_mobile_is_refused_with_an_accepted_example(raw):
    """C4: a mainland mobile without its country code is refused; the message asks for the country
    code and shows an accepted example."""
    with pytest.raises(ValidationError) as caught:
        phone_parse(raw)
    (message,) = caught.value.messages
    assert "country code" in message and EXAMPLE in message


@pytest.mark.parametrize("raw", NATIONAL_FORMS)
def test_C4_the_same_numbers_with_their_country_code_are_mainland(raw):
    """C4: with 86 in front (the console's example form) the same digits are a Chinese number."""
    assert str(phone_parse("86" + digits(raw))) == "+86" + digits(raw)


def test_C4_contact_update_refuses_a_national_number_and_saves_nothing(alice):
    """C4/E1: the service refuses it whatever the caller; nothing is stored, no link is sent."""
    with pytest.raises(ValidationError) as caught:
        contact_update(principal=alice, phone="15012345678", email="", language="auto")
    assert list(caught.value.message_dict) == ["phone"]
    assert EXAMPLE in caught.value.message_dict["phone"][0]
    alice.refresh_from_db()
    assert str(alice.phone or "") == "" and not ContactMethod.objects.filter(principal=alice).exists()


def test_C4_edit_form_shows_the_error_on_the_phone_field(demo, alice, sign_in):
    """C4: the Edit form shows the refusal on the phone field itself (the help text already holds
    the example, so the page as a whole proves nothing)."""
    ws = demo["workspaces"]["demo_workspace"]
    response = sign_in("dw-admin").post(
        reverse("contacts:edit", args=[ws.pk, alice.pk]), {"phone": "150 1234 5678", "email": "", "language": "auto"}
    )
    assert response.status_code == 200
    (error,) = response.context["form"].errors["phone"]
    assert "country code" in error and EXAMPLE in error
    assert 'id="id_phone_error"' in response.content.decode()
    alice.refresh_from_db()
    assert str(alice.phone or "") == ""
