"""Activation links (C8, C9), modelled on django.contrib.auth.tokens.

The token is an HMAC over the method's id, channel, address and the moment its newest link was
sent. Nothing is stored, so nothing can leak from the database. A change of the address breaks the
HMAC, and so does a newer send (it moves `link_sent_at`); activation flips the status, so the link
is spent. The clock starts at `link_sent_at`: valid at exactly ACTIVATION_LINK_TTL_SECONDS, invalid
one second later.
"""

import enum
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from .models import ContactMethod


class LinkState(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    INVALID = "invalid"  # unknown, forged, or replaced by a newer link or a changed address


class ActivationTokenGenerator:
    key_salt = "contacts.tokens.ActivationTokenGenerator"
    algorithm = "sha256"

    def make_token(self, method: ContactMethod) -> str:
        return self._make(method, settings.SECRET_KEY)

    def check_token(self, method: ContactMethod | None, token: str) -> LinkState:
        if method is None or not token or method.link_sent_at is None:
            return LinkState.INVALID
        if not any(
            constant_time_compare(self._make(method, secret), token)
            for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
        ):
            return LinkState.INVALID
        if method.is_activated:
            return LinkState.USED
        if self._now() - method.link_sent_at > timedelta(seconds=settings.ACTIVATION_LINK_TTL_SECONDS):
            return LinkState.EXPIRED
        return LinkState.VALID

    def _make(self, method: ContactMethod, secret: str | bytes) -> str:
        sent_at = method.link_sent_at.isoformat() if method.link_sent_at else ""
        value = f"{method.pk}:{method.channel}:{method.value}:{sent_at}"
        return salted_hmac(self.key_salt, value, secret=secret, algorithm=self.algorithm).hexdigest()[::2]

    def _now(self) -> datetime:
        # Tests replace this to move the clock.
        return timezone.now()


activation_token_generator = ActivationTokenGenerator()


def link_valid_hours() -> int:
    """How long an activation link works, in whole hours, as the pages and messages say it
    (ACTIVATION_LINK_TTL_SECONDS, 24 hours by default; never said as less than one hour)."""
    return max(1, settings.ACTIVATION_LINK_TTL_SECONDS // 3600)


def method_uid(method: ContactMethod) -> str:
    return urlsafe_base64_encode(force_bytes(method.pk))


def method_for_uid(uidb64: str) -> ContactMethod | None:
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    return ContactMethod.objects.select_related("principal__account").filter(pk=pk).first()
