"""Mobile phone numbers must carry their country code (rules C4) and are stored in E.164."""

import pytest
from django.core.exceptions import ValidationError

from contacts.phones import phone_is_mainland_mobile, phone_mask, phone_parse


@pytest.mark.parametrize(
    "raw, e164",
    [
        ("+8613912345678", "+8613912345678"),
        ("8613912345678", "+8613912345678"),  # the console's own example form
        ("008613912345678", "+8613912345678"),
        ("+86 139 1234 5678", "+8613912345678"),
        ("86-139-1234-5678", "+8613912345678"),
        ("(+86) 139-1234-5678", "+8613912345678"),
        ("+852 9123 4567", "+85291234567"),
        ("85291234567", "+85291234567"),
        ("+1 (415) 555-2671", "+14155552671"),
        ("0014155552671", "+14155552671"),
        ("  +6591234567 ", "+6591234567"),
    ],
)
def test_C4_accepted_forms_are_stored_in_e164(raw, e164):
    assert str(phone_parse(raw)) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "13912345678",  # Chinese mainland number without its country code
        "139 1234 5678",
        "07911123456",  # national trunk prefix
        "+86139123",  # too short
        "+8612345",
        "86139123456789",  # too long
        "abc",
        "+86 139 1234 567x",
        "+",
        "00",
        "+999123456789",  # no such country code
    ],
)
def test_C4_refused_with_an_accepted_example(raw):
    with pytest.raises(ValidationError) as caught:
        phone_parse(raw)
    assert any("8613912345678" in message for message in caught.value.messages)


def test_C4_national_number_error_explains_the_country_code():
    with pytest.raises(ValidationError) as caught:
        phone_parse("13912345678")
    assert "country code" in caught.value.messages[0]


@pytest.mark.parametrize(
    "number, mainland",
    [
        ("+8613912345678", True),
        ("+85291234567", False),
        ("+85366123456", False),
        ("+886912345678", False),
        ("+861012345678", False),
        ("+14155552671", False),
    ],
)
def test_D2_mainland_mobile(number, mainland):
    assert phone_is_mainland_mobile(phone_parse(number)) is mainland


def test_C9_masked_number_hides_the_middle():
    assert phone_mask("+8613912345678") == "+86 139****5678"
