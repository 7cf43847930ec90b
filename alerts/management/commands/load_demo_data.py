from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from alerts.demo import SIGN_INS, SUPPORT_SIGN_IN, demo_load


class Command(BaseCommand):
    help = "Create or refresh the demo accounts, workspaces, principals and sign-ins (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Load even when DEBUG is off.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: demo sign-ins share one known password. Pass --force to load them anyway."
            )
        demo_load()
        names = ", ".join([*SIGN_INS, SUPPORT_SIGN_IN])
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Sign-ins: {names}."))
