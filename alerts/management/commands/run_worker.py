import logging
import sys

from django.core.management.base import BaseCommand

from alerts.dispatch import worker_name
from alerts.worker import worker_build

logger = logging.getLogger("alerts.worker")


class Command(BaseCommand):
    help = (
        "Run a worker: the task queue (activation messages, delivery wake-ups) and, every "
        "DELIVERY_SWEEP_SECONDS, a sweep that sends every due delivery; every DIRECTORY_SYNC_INTERVAL_SECONDS "
        "it enqueues the directory sync of the accounts connected to Alibaba Cloud. SIGTERM or Ctrl-C lets the "
        "current task finish. Exits non-zero if its loop dies."
    )

    def add_arguments(self, parser):
        parser.add_argument("--queue-name", default="default", help="Comma-separated queues, or * for all.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds to wait when nothing is due.")
        parser.add_argument("--batch", action="store_true", help="Run what is due, then exit.")
        parser.add_argument(
            "--sweep-seconds", type=int, default=None, help="Sweep period (default: DELIVERY_SWEEP_SECONDS)."
        )
        parser.add_argument("--worker-id", default=None)

    def handle(self, *args, **options):
        worker = worker_build(
            worker_id=(options["worker_id"] or worker_name())[:64],
            queue_names=options["queue_name"].split(","),
            interval=options["interval"],
            batch=options["batch"],
            sweep_seconds=options["sweep_seconds"],
        )
        worker.configure_signals()
        try:
            worker.run()
        except Exception:
            logger.exception("The worker's loop died; exiting so that the supervisor sees it")
            sys.exit(1)
