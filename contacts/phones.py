"""Mobile phone numbers with their country code (C4).

phonenumbers validates; what is ours is the normalisation of the console's accepted forms:
`+8613912345678`, `008613912345678` and `8613912345678` (country code, then number, as the help
page writes it). A default region is never used: it would silently turn a national number such as
`13912345678` into a Chinese one, which C4 refuses.
"""

import re
from typing import TYPE_CHECKING

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from phonenumber_field.phonenumber import PhoneNumber

if TYPE_CHECKING:  # django-stubs (a development dependency) names lazy translations
    from django_stubs_ext import StrOrPromise

EXAMPLE = "8613912345678"
IGNORED = re.compile(r"[\s\-().\u00a0]")


def _error(message: "StrOrPromise") -> ValidationError:
    return ValidationError(message, code="invalid_phone", params={"example": EXAMPLE})


def phone_parse(raw: str | None) -> PhoneNumber:
    """Return the number as a PhoneNumber (stored as E.164) or raise ValidationError."""
    text = IGNORED.sub("", raw or "")
    if text.startswith("+"):
        digits, explicit = text[1:], True
    elif text.startswith("00"):
        digits, explicit = text[2:], True
    else:
        digits, explicit = text, False
    if not digits.isdigit():
        raise _error(_("Enter the number with digits only, starting with its country code, e.g. %(example)s."))
    if not explicit:
        # A number written without + or 00 must start with its country code. A leading 0 is a
        # national trunk prefix, and a valid Chinese mainland mobile number as written is a
        # national number missing its 86: both are refused rather than guessed.
        if digits.startswith("0") or _is_national_cn_mobile(digits):
            raise _error(
                _("Add the country code in front of the number, e.g. %(example)s for a Chinese mainland number.")
            )
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        raise _error(_("This is not a valid phone number. Start with the country code, e.g. %(example)s.")) from None
    if not phonenumbers.is_valid_number(number):
        raise _error(_("This is not a valid phone number. Start with the country code, e.g. %(example)s."))
    return PhoneNumber.from_string("+" + digits)


def _is_national_cn_mobile(digits: str) -> bool:
    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return False
    return (
        len(digits) == 11
        and phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    )


def _as_number(number: "str | phonenumbers.PhoneNumber | None") -> "phonenumbers.PhoneNumber | None":
    if number is None or isinstance(number, phonenumbers.PhoneNumber):
        return number
    try:
        return phonenumbers.parse(str(number), None)
    except phonenumbers.NumberParseException:
        return None


def phone_in_mainland(number: "str | phonenumbers.PhoneNumber | None") -> bool:
    """D2, D4: a Chinese mainland number (country code 86, region CN; Hong Kong, Macao and Taiwan
    are not mainland). Text messages and calls go to it directly; to any other number they go
    through the workspace's custom webhook. Accepts E.164 text or a parsed number."""
    parsed = _as_number(number)
    return parsed is not None and phonenumbers.region_code_for_number(parsed) == "CN"


def phone_is_mainland_mobile(number: "str | phonenumbers.PhoneNumber | None") -> bool:
    """D2: a Chinese mainland number of the mobile type, the only numbers phone calls go to."""
    parsed = _as_number(number)
    return (
        parsed is not None
        and phone_in_mainland(parsed)
        and phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE
    )


def phone_mask(value: object) -> str:
    """+8613912345678 -> +86 139****5678, for pages that must not show the whole number."""
    text = str(value)
    if len(text) < 8:
        return text
    try:
        number = phonenumbers.parse(text, None)
        prefix = f"+{number.country_code} "
        national = str(number.national_number)
    except phonenumbers.NumberParseException:
        prefix, national = "", text
    return prefix + national[:3] + "****" + national[-4:]


def email_mask(value: object) -> str:
    local, _, domain = str(value).partition("@")
    return (local[:1] + "***" + "@" + domain) if domain else "***"
