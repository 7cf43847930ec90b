"""`make bench`: every measurement of alerts.benchmarks, in a throwaway database (see there)."""

import json
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings, setup_test_environment, teardown_test_environment
from django.utils.module_loading import import_string

from alerts.benchmarks import MEASUREMENTS
from alerts.benchmarks.world import world_create

REPEAT = 15


class Command(BaseCommand):
    help = "Measure the product's paths against their floors, in a throwaway database."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=REPEAT, help="Requests per page timing (median).")
        parser.add_argument(
            "--only", default="", help=f"Comma-separated measurements to run: {', '.join(MEASUREMENTS)} (all)."
        )

    def handle(self, *args, repeat, only, **options):
        names = [n.strip() for n in only.split(",") if n.strip()] or list(MEASUREMENTS)
        unknown = sorted(set(names) - set(MEASUREMENTS))
        if unknown:
            raise CommandError(f"Unknown measurement {', '.join(unknown)}; known: {', '.join(MEASUREMENTS)}.")
        if connection.vendor == "sqlite":
            # A file of its own: the processes the bench starts (gunicorn, workers) open it too.
            connection.settings_dict["TEST"]["NAME"] = str(Path(settings.BASE_DIR) / "var" / "bench-db.sqlite3")
        setup_test_environment()
        settings.DEBUG = False  # as in production: no query log, no debug pages
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        outbox = Path(tempfile.mkdtemp(prefix="bench-outbox-")) / "outbox.jsonl"
        try:
            with override_settings(OUTBOX_PATH=outbox, OUTBOX_UNDELIVERABLE=[]):
                world = world_create(repeat=repeat)
                for name in names:
                    for result in import_string(MEASUREMENTS[name])(world):
                        line = "BENCH " + json.dumps({**result, "database": connection.vendor})
                        self.stdout.write(line)
                        self.stdout.flush()
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            teardown_test_environment()
