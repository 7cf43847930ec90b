import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from contacts.models import Account, Principal, RamDirectoryEntry


class Command(BaseCommand):
    help = (
        "Load an account's RAM directory from the JSON bodies of Alibaba Cloud's RAM API "
        "(ListUsers, GetUser, ListRoles). Changed phone numbers and email addresses are applied to "
        "each contact at its next sign-in (C12). All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="JSON response bodies; '-' reads standard input")
        parser.add_argument("--account", required=True, help="account ID (uid) or name")

    def handle(self, *args, files, account, **options):
        found = Account.objects.filter(uid=account).first() or Account.objects.filter(name=account).first()
        if found is None:
            raise CommandError(f"No account with ID or name {account!r}.")
        records = []
        for path in files:
            records.extend(self.records_of(path))
        created = updated = 0
        with transaction.atomic():
            for kind, name, display_name, phone, email in records:
                principal, made = Principal.objects.get_or_create(
                    account=found, kind=kind, name=name, defaults={"display_name": display_name}
                )
                if not made and display_name and principal.display_name != display_name:
                    Principal.objects.filter(pk=principal.pk).update(display_name=display_name)
                entry = RamDirectoryEntry.objects.filter(account=found, kind=kind, name=name).first()
                if entry is None:
                    RamDirectoryEntry.objects.create(
                        account=found, kind=kind, name=name, display_name=display_name, phone=phone, email=email
                    )
                    created += 1
                elif (entry.display_name, entry.phone, entry.email) != (display_name, phone, email):
                    entry.display_name, entry.phone, entry.email = display_name, phone, email
                    entry.save()
                    updated += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(records)} directory entries read for {found.name}: {created} new, {updated} changed."
            )
        )

    def records_of(self, path):
        try:
            if path == "-":
                import sys

                data = json.load(sys.stdin)
            else:
                with open(path, encoding="utf-8") as handle:
                    data = json.load(handle)
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from None
        except ValueError as error:
            raise CommandError(f"{path}: not JSON ({error})") from None
        if not isinstance(data, dict):
            raise CommandError(f"{path}: expected a RAM API response object")
        users = data.get("Users", {}).get("User") if isinstance(data.get("Users"), dict) else None
        roles = data.get("Roles", {}).get("Role") if isinstance(data.get("Roles"), dict) else None
        if isinstance(data.get("User"), dict):
            users = [data["User"]]
        if isinstance(data.get("Role"), dict):
            roles = [data["Role"]]
        if users is None and roles is None:
            raise CommandError(f"{path}: no Users, User, Roles or Role in this response")
        records = []
        for index, user in enumerate(users or []):
            name = user.get("UserName") if isinstance(user, dict) else None
            if not isinstance(name, str) or not name:
                raise CommandError(f"{path}: user #{index + 1} has no UserName")
            records.append(
                (
                    Principal.Kind.USER,
                    name,
                    str(user.get("DisplayName") or ""),
                    str(user.get("MobilePhone") or ""),
                    str(user.get("Email") or ""),
                )
            )
        for index, role in enumerate(roles or []):
            name = role.get("RoleName") if isinstance(role, dict) else None
            if not isinstance(name, str) or not name:
                raise CommandError(f"{path}: role #{index + 1} has no RoleName")
            records.append((Principal.Kind.ROLE, name, "", "", ""))
        return records
