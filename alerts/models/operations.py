"""What the operators' tooling reads: one heartbeat row per running worker (alerts.health)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """A worker's last sign of life, written from its loop every few seconds (alerts.worker). The
    readiness check and the metrics read it, so they are right whichever process answers."""

    worker_id = models.CharField(_("worker"), max_length=64, unique=True)
    started_at = models.DateTimeField(_("started at"))
    seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")
        ordering = ["worker_id"]

    def __str__(self) -> str:
        return self.worker_id
