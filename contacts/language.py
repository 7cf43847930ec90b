"""Which language a contact's messages are written in (C6, D3, D5)."""

from .models import Language


def alerting_language(principal):
    """`zh-hans` or `en`. Auto means Chinese for an account registered on the China site and
    English for every other site; the one setting holds for every alert source (D5)."""
    if principal.language != Language.AUTO:
        return principal.language
    return Language.CHINESE.value if principal.account.is_china_site else Language.ENGLISH.value
