from django.core.management.base import BaseCommand

from alerts.dispatch import deliveries_process
from alerts.tasks import WAKEUPS


class Command(BaseCommand):
    help = (
        "Send every delivery that is due, then exit. Workers are woken by tasks; run this from cron as a "
        "safety net (e.g. every minute) so that nothing waits if a wake-up task was lost."
    )

    def handle(self, *args, **options):
        handled = deliveries_process(wakeups=WAKEUPS)
        self.stdout.write(f"{handled} deliveries handled.")
