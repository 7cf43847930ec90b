"""Alert history retention: alerts older than ALERT_RETENTION_DAYS go, with their deliveries.

The workers prune (alerts.worker's periodic jobs), one small batch per turn of their loop, each
batch its own short transaction, so that neither the sending nor the console waits on a long
delete. Only final alerts go: an alert with a delivery still READY_TO_SEND stays until it ends.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .models import Alert, Delivery

RETENTION_BATCH_SIZE = 500
# While a backlog is pruned, the worker pauses after each batch this many times as long as the batch
# took (alerts.worker.PeriodicJob): pruning then takes at most a tenth of the database's time (and of
# SQLite's one write lock), and sending goes on at nearly its pace (`make bench`: dispatch_prune).
RETENTION_PAUSE_FACTOR = 9


def alerts_prune(*, older_than_days: int | None = None, batch_size: int | None = None) -> int:
    """Delete up to `batch_size` final alerts accepted more than `older_than_days` ago
    (ALERT_RETENTION_DAYS; 0 keeps everything) with their deliveries, in one transaction; returns
    how many alerts went (fewer than `batch_size`, RETENTION_BATCH_SIZE by default: nothing more is due)."""
    days = settings.ALERT_RETENTION_DAYS if older_than_days is None else older_than_days
    if days <= 0:
        return 0
    limit = RETENTION_BATCH_SIZE if batch_size is None else batch_size
    cutoff = timezone.now() - timedelta(days=days)
    unfinished = Delivery.objects.filter(alert=OuterRef("pk"), status=Delivery.Status.READY_TO_SEND)
    with transaction.atomic():
        ids = list(
            Alert.objects.filter(created_at__lt=cutoff)
            .exclude(Exists(unfinished))
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            # One DELETE per table. A fallback delivery points at the one it replaces, in the same
            # alert, so both go in the same statement; the ORM's delete() would load every row to
            # follow that reference one by one.
            deliveries = Delivery.objects.filter(alert_id__in=ids)
            deliveries._raw_delete(deliveries.db)
            alerts = Alert.objects.filter(pk__in=ids)
            alerts._raw_delete(alerts.db)
    return len(ids)
