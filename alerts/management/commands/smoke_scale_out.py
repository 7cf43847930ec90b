"""`manage.py smoke_scale_out`: the README's deployment (gunicorn plus two workers against one
PostgreSQL database) takes 2,000 deliveries through the HTTP API and sends each exactly once (see
alerts/benchmarks/scale_out.py). It makes its own throwaway database next to DATABASE_URL's and
drops it at the end; .ci/run runs it after the tests on PostgreSQL."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection

from alerts.benchmarks.scale_out import SmokeFailed, smoke


class Command(BaseCommand):
    help = (
        "Smoke-test the scale-out deployment on PostgreSQL: gunicorn and two run_worker processes, "
        "2,000 deliveries posted through the API, each sent exactly once, within the time box."
    )

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=180.0, help="Seconds before the smoke fails (180).")

    def handle(self, *args, timeout, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "The scale-out smoke runs on PostgreSQL, as the README's deployment does: set DATABASE_URL to "
                f"postgres://… (it makes and drops its own database next to that one); this is {connection.vendor}."
            )
        base = connection.settings_dict["NAME"]
        connection.settings_dict["TEST"]["NAME"] = f"{base}_smoke"
        began = time.monotonic()
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        self.say(f"throwaway database {connection.settings_dict['NAME']} ready in {time.monotonic() - began:.1f} s")
        try:
            smoke(say=self.say, timeout=timeout)
        except SmokeFailed as failed:
            raise CommandError(f"scale-out smoke FAILED: {failed}") from None
        finally:
            self._drop(old_name)

    def say(self, line):
        self.stdout.write(line)
        self.stdout.flush()

    @staticmethod
    def _drop(old_name):
        for attempt in range(5):  # a stopped process's server connection may take a moment to go
            try:
                connection.creation.destroy_test_db(old_name, verbosity=0)
                return
            except OperationalError:
                if attempt == 4:
                    raise
                time.sleep(1)
