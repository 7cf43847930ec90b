"""Problems of the operator's provider set-up (contacts.models.ProviderProblem): recorded by a
transport when the provider refuses a message for a reason that only the operator can fix, cleared
by the next message the provider takes on that channel, and shown to support staff at once (the
banner of the admin index, the health check at /health, `manage.py check --database default`)."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import ProviderProblem


def provider_problem_record(*, channel: str, provider: str, code: str, message: str) -> None:
    """Open (or keep open, counting it) the problem of `channel`; the first one's time stays."""
    now = timezone.now()
    fields = {"provider": provider, "code": code, "message": message[:2000], "last_seen": now}
    updated = ProviderProblem.objects.filter(channel=channel).update(occurrences=F("occurrences") + 1, **fields)
    if updated:
        return
    try:
        with transaction.atomic():
            ProviderProblem.objects.create(channel=channel, since=now, **fields)
    except IntegrityError:  # another worker opened it at the same moment
        ProviderProblem.objects.filter(channel=channel).update(occurrences=F("occurrences") + 1, **fields)


def provider_problem_clear(*, channel: str) -> None:
    """The provider took a message on `channel`: whatever was wrong with the set-up is fixed."""
    ProviderProblem.objects.filter(channel=channel).delete()


def provider_problems_open() -> list[ProviderProblem]:
    return list(ProviderProblem.objects.order_by("since"))
