"""Which language a contact's messages are written in (C6, D3, D5): the one home of these rules."""

from typing import Any

from .models import Account, Language, Principal
from .phones import phone_is_mainland_mobile


def account_language(account: Account) -> str:
    """What Auto means for `account` (C6): Chinese for an account registered on the China site,
    English for every other site. Also the language of messages to the account's own recipients
    (the workspace webhook, Basic Receiving Management)."""
    return Language.CHINESE.value if account.is_china_site else Language.ENGLISH.value


def alerting_language(principal: Principal) -> str:
    """`zh-hans` or `en`: the contact's choice, or Auto resolved by the account's site; the one
    setting holds for every alert source (D5)."""
    if principal.language != Language.AUTO:
        return principal.language
    return account_language(principal.account)


def text_message_language(principal: Principal, number: Any) -> str:
    """The language of a text message to `number` (D3): an account on the international site whose
    contact has a Chinese mainland mobile number receives text messages in Chinese only; otherwise
    the contact's alerting language."""
    if not principal.account.is_china_site and phone_is_mainland_mobile(number):
        return Language.CHINESE.value
    return alerting_language(principal)
