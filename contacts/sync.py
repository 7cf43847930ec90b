"""Sync at logon (C12): a principal's phone and email come from the account's RAM directory; a
value changed there since it was last applied is applied when the principal next signs in."""

import logging
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import Principal, RamDirectoryEntry
from .services import ActivationLimited, ContactChange, contact_update
from .versioning import SYNC_REASON

logger = logging.getLogger(__name__)


def directory_phone_text(raw: str | None) -> str:
    """RAM writes mobile numbers as `<country code>-<number>` (86-13912345678): keep the digits so
    the console's own rules (C4) read it as country code, then number."""
    return (raw or "").replace("-", "").strip()


def _changed(value: str, applied: str | None, same_form: Callable[[str], str]) -> bool:
    """Whether the directory value changed since it was last applied (an empty value that was
    never applied is no change: the directory simply has nothing to say)."""
    if applied is None:
        return bool(value)
    return same_form(value) != same_form(applied)


def contact_sync_at_sign_in(*, principal: Principal) -> ContactChange | None:
    """Apply what changed in the directory since the last sync; returns the ContactChange or None."""
    with transaction.atomic():
        entry = (
            RamDirectoryEntry.objects.select_for_update()
            .filter(account_id=principal.account_id, kind=principal.kind, name=principal.name)
            .first()
        )
        if entry is None:
            return None
        # Locked before reading, so an edit saved meanwhile is never undone by values read before it.
        principal = Principal.objects.select_for_update().get(pk=principal.pk)
        phone, email = str(principal.phone or ""), principal.email
        if _changed(entry.phone, entry.applied_phone, directory_phone_text):
            phone = directory_phone_text(entry.phone)
        if _changed(entry.email, entry.applied_email, str.casefold):
            email = entry.email
        change = None
        try:
            change = contact_update(
                principal=principal, phone=phone, email=email, language=principal.language, reason=SYNC_REASON
            )
        except ActivationLimited as error:
            # Too many activation messages for now (C10): leave the entry unapplied, so the next
            # sign-in tries again.
            logger.warning("RAM directory values for %s not applied yet: %s", principal, error.messages)
            return None
        except ValidationError as error:
            # The directory holds something the console refuses: keep the console's copy.
            logger.warning("RAM directory values for %s not applied: %s", principal, error.messages)
        entry.applied_phone, entry.applied_email = entry.phone, entry.email
        RamDirectoryEntry.objects.filter(pk=entry.pk).update(applied_phone=entry.phone, applied_email=entry.email)
        Principal.objects.filter(pk=principal.pk).update(last_synced_at=timezone.now())
    return change
