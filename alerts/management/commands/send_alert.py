import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from alerts.intake import alert_accept
from alerts.models import Delivery, Workspace


class Command(BaseCommand):
    help = "Accept an alert for a workspace exactly as any other source would, and print its id."

    def add_arguments(self, parser):
        parser.add_argument("--workspace", required=True, help="workspace name")
        parser.add_argument("--account", help="account name or ID, when several accounts have the workspace name")
        parser.add_argument("--to", required=True, help="RAM user login names and role:RoleName, comma-separated")
        parser.add_argument("--channels", default="email", help="comma-separated: email, sms, voice, webhook")
        parser.add_argument("--title", required=True)
        parser.add_argument("--content", default="")
        parser.add_argument("--rule", default="")
        parser.add_argument("--severity", default="")
        parser.add_argument("--wait", action="store_true", help="wait until every delivery is final and print them")
        parser.add_argument("--timeout", type=float, default=120.0, help="seconds --wait waits at most")

    def handle(self, *args, **options):
        workspaces = Workspace.objects.filter(name=options["workspace"]).select_related("account")
        if options["account"]:
            workspaces = workspaces.filter(account__name=options["account"]) | workspaces.filter(
                account__uid=options["account"]
            )
        workspaces = list(workspaces)
        if not workspaces:
            raise CommandError(f"No workspace named {options['workspace']!r}.")
        if len(workspaces) > 1:
            raise CommandError("Several accounts have a workspace of that name: add --account.")
        try:
            alert = alert_accept(
                workspace=workspaces[0],
                title=options["title"],
                content=options["content"],
                rule=options["rule"],
                severity=options["severity"],
                source="cli",
                recipients=[n for n in options["to"].split(",") if n.strip()],
                channels=[c for c in options["channels"].split(",") if c.strip()],
            )
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
            ) from None
        self.stdout.write(f"Alert {alert.pk} accepted.")
        if not options["wait"]:
            return
        deadline = time.monotonic() + options["timeout"]
        while Delivery.objects.filter(alert=alert, status=Delivery.Status.READY_TO_SEND).exists():
            if time.monotonic() > deadline:
                raise CommandError(
                    "Deliveries are still waiting: is a task worker running (make run, or manage.py run_worker)?"
                )
            time.sleep(0.5)
        for d in alert.deliveries.order_by("pk"):
            via = f" ← fallback for #{d.replaces_id}" if d.replaces_id else ""
            reason = f" {d.reason_code}: {d.reason}" if d.reason_code else ""
            self.stdout.write(
                f"#{d.pk} {d.channel:<7} {d.get_role_display():<38} {d.recipient_name} <{d.address}> "
                f"[{d.language}] {d.status}{reason}{via}"
            )
