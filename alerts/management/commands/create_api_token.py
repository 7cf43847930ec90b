from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from alerts.api_tokens import api_token_create
from alerts.models import ApiToken, Workspace


class Command(BaseCommand):
    help = "Create an API token for a workspace; the token is printed once, as the last line."

    def add_arguments(self, parser):
        parser.add_argument("--workspace", required=True)
        parser.add_argument("--account", help="account name or ID, when several accounts have the workspace name")
        parser.add_argument("--name", default="API token", help="a label to recognise the token by")
        parser.add_argument("--alertmanager", action="store_true", help="a Prometheus Alertmanager receiver token")
        parser.add_argument("--to", default="", help="receiver recipients (with --alertmanager), comma-separated")
        parser.add_argument("--channels", default="email", help="receiver channels (with --alertmanager)")
        parser.add_argument("--send-resolved", action="store_true", help="receiver also sends resolved notifications")

    def handle(self, *args, **options):
        workspaces = Workspace.objects.filter(name=options["workspace"])
        if options["account"]:
            workspaces = workspaces.filter(account__name=options["account"]) | workspaces.filter(
                account__uid=options["account"]
            )
        workspaces = list(workspaces)
        if len(workspaces) != 1:
            raise CommandError(f"No single workspace named {options['workspace']!r} (add --account?).")
        try:
            token, raw = api_token_create(
                workspace=workspaces[0],
                name=options["name"],
                kind=ApiToken.Kind.ALERTMANAGER if options["alertmanager"] else ApiToken.Kind.API,
                recipients=[n.strip() for n in options["to"].split(",") if n.strip()],
                channels=[c.strip() for c in options["channels"].split(",") if c.strip()],
                send_resolved=options["send_resolved"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from None
        self.stderr.write(f"Token {token.name!r} for workspace {token.workspace.name}; it is shown only now.")
        self.stdout.write(raw)
