"""Optimistic concurrency for edit forms: Edit contact, the daily limits, the custom webhook URL.

A row carries a version number. An edit form carries the version it was filled in from, in a
hidden field; the service locks the row, compares, and refuses a stale form with `StaleEdit`
(nothing saved); the view then shows the current values, who changed them and when, and asks to
confirm again with the new version.

Every save bumps the version in the model's `save()`, not in each service, so no writer can
forget it: the console's services, sign-in sync, the Django admin (its forms and its history
revert) all go through `save()`. Queryset `update()` calls bypass it; the project uses them only
for columns no edit form shows (`last_synced_at`, the secret, a display name from the directory).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _


class Versioned(models.Model):
    """A row whose edit forms use optimistic concurrency. The bump is `version = version + 1` in
    the UPDATE itself (Django reads the new value back), so a stale in-memory copy cannot write
    a version that another writer already used."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding and self.pk is not None:
            self.version = models.F("version") + 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "version"}
        super().save(*args, **kwargs)


class StaleEdit(Exception):
    """The form was filled in from another version than the one saved now: nothing was saved.
    `current` is the row as it is now (None once it was removed); `version` the version a form
    must carry to apply (0: there is no row)."""

    def __init__(self, current, version):
        super().__init__(version)
        self.current = current
        self.version = version


class VersionField(forms.IntegerField):
    """The version a form was filled in from. Missing or unreadable counts as 0, "there was no
    row", so it is stale wherever a row exists: such a submit never overwrites anything unseen."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        text = str(value or "").strip()
        return int(text) if text.isdigit() and len(text) <= 18 else 0

    def validate(self, value):
        pass

    def run_validators(self, value):
        pass


def version_of(row):
    """The version a form shows for `row` (0 when there is none yet)."""
    return row.version if row is not None else 0


@dataclass
class Conflict:
    """What a stale submit shows: who made the newest change and when, and the values side by
    side (label, current, yours)."""

    who: str | None
    when: datetime | None
    rows: list = field(default_factory=list)


# Change reasons that writers without a signed-in person record (history_change_reason), and how
# a conflict names them.
SYNC_REASON = "sign-in sync"
DIRECTORY_SYNC_REASON = "directory sync"
REASON_NAMES = {
    SYNC_REASON: _("the sign-in sync from the RAM directory"),
    DIRECTORY_SYNC_REASON: _("the directory sync from Alibaba Cloud"),
}


def last_change(history):
    """(who, when) of the newest record of a simple-history queryset; who is None when neither a
    person nor a known writer is recorded."""
    record = history.order_by("-history_date", "-history_id").select_related("history_user").first()
    if record is None:
        return None, None
    user = record.history_user
    if user is not None:
        return user.get_full_name() or user.get_username(), record.history_date
    return REASON_NAMES.get(record.history_change_reason), record.history_date


def conflict_for(history, rows):
    who, when = last_change(history)
    return Conflict(
        who=who, when=when, rows=[(label, current, yours, current != yours) for label, current, yours in rows]
    )


def history_author_set(instance: Any, *, by: Any, reason: str | None = None) -> None:
    """Name who makes the next save of `instance` in its history (django-simple-history reads
    these attributes at save and delete): `by` a user or None, `reason` for writers that are not
    a signed-in person (REASON_NAMES)."""
    instance._history_user = by
    if reason is not None:
        instance._change_reason = reason
