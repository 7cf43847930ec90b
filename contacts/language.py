"""Which language a contact's messages are written in (C6, D3, D5)."""

import phonenumbers

from .models import Language
from .phones import phone_is_mainland_mobile


def alerting_language(principal):
    """`zh-hans` or `en`. Auto means Chinese for an account registered on the China site and
    English for every other site; the one setting holds for every alert source (D5)."""
    if principal.language != Language.AUTO:
        return principal.language
    return Language.CHINESE.value if principal.account.is_china_site else Language.ENGLISH.value


def text_message_language(principal, number):
    """The language of a text message to `number` (D3): an account on the international site whose
    contact has a Chinese mainland number receives text messages in Chinese only; otherwise the
    contact's alerting language."""
    if not principal.account.is_china_site and _is_mainland_mobile(number):
        return Language.CHINESE.value
    return alerting_language(principal)


def _is_mainland_mobile(number):
    if isinstance(number, str):
        try:
            number = phonenumbers.parse(number, None)
        except phonenumbers.NumberParseException:
            return False
    return bool(number) and phone_is_mainland_mobile(number)
