from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alerts.directory.errors import DirectoryError, DirectorySyncOff
from alerts.directory.sync import KINDS, SyncSummary, directory_sync
from contacts.models import Account

ACCOUNT_WIDTH = 36
CELL_WIDTH = 14


class Command(BaseCommand):
    help = (
        "Sync RAM users, RAM roles, the AliyunDataWorksFullAccess policy, DataWorks workspaces and their members "
        "from Alibaba Cloud, for every account whose directory sync is on (or the one named). Prints progress, then "
        "a table of what was added (+), changed (~) and removed (-); exits non-zero if an account failed (the "
        "others are synced all the same, and a failed account is left as it was)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", help="account ID (uid) or name; default: every account with directory sync on")

    def handle(self, *args: Any, account: str | None = None, **options: Any) -> None:
        accounts = self.accounts(account)
        if not accounts:
            self.stdout.write("No account has its directory sync on: nothing to do (see README, Connect your account).")
            return
        rows: list[tuple[Account, SyncSummary | None, str]] = []
        for found in accounts:
            self.stdout.write(f"{found.name} ({found.uid}): reading RAM and DataWorks…")
            try:
                summary = directory_sync(account=found, progress=self.stdout.write)
            except DirectoryError as error:
                self.stderr.write(f"{found.name} ({found.uid}): failed, nothing changed. {error.text}")
                rows.append((found, None, error.text))
                continue
            changed = "changes written" if summary.changed_anything else "no change"
            self.stdout.write(self.style.SUCCESS(f"{found.name} ({found.uid}): synced, {changed}."))
            rows.append((found, summary, ""))
        self.table(rows)
        failed = sum(1 for _, summary, _ in rows if summary is None)
        if failed:
            raise CommandError(f"{failed} of {len(rows)} accounts could not be synced; see above.")

    def accounts(self, wanted: str | None) -> list[Account]:
        if wanted is None:
            return list(Account.objects.filter(directory_sync_enabled=True).order_by("name"))
        found = Account.objects.filter(uid=wanted).first() or Account.objects.filter(name=wanted).first()
        if found is None:
            raise CommandError(f"No account with ID or name {wanted!r}.")
        if not found.directory_sync_enabled:
            raise CommandError(f"{found.name} ({found.uid}): {DirectorySyncOff().text}")
        return [found]

    def table(self, rows: list[tuple[Account, SyncSummary | None, str]]) -> None:
        """One line per account: added, changed, removed of each kind, or why it failed."""
        self.stdout.write("")
        self.stdout.write("account".ljust(ACCOUNT_WIDTH) + "".join(kind.ljust(CELL_WIDTH) for kind in KINDS))
        for found, summary, error in rows:
            label = f"{found.name} ({found.uid})".ljust(ACCOUNT_WIDTH)
            if summary is None:
                self.stdout.write(label + self.style.ERROR(f"failed: {error}"))
                continue
            cells = (f"+{summary[k].added} ~{summary[k].changed} -{summary[k].removed}" for k in KINDS)
            self.stdout.write(label + "".join(cell.ljust(CELL_WIDTH) for cell in cells))
