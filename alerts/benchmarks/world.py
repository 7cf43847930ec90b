"""What every measurement starts from: one account, one workspace in it, its owner signed in to the
console and a support engineer to the admin, in the throwaway database of the run; and how a
process the bench starts (gunicorn, a worker) reaches that database."""

import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from alerts.models import Identity, Membership, Region, Workspace
from contacts.models import Account, ContactMethod, Principal


@dataclass
class World:
    account: Account
    workspace: Workspace
    console: Client  # the account owner, signed in
    admin: Client  # a support engineer (superuser), signed in
    repeat: int
    users: int = 0  # RAM users made so far (user-00000 …)
    roles: int = 0
    log: list = field(default_factory=list)


def world_create(*, repeat: int) -> World:
    region = Region.objects.create(code="cn-hangzhou", name="China (Hangzhou)")
    account = Account.objects.create(name="bench", uid="9999000011112222", site="international")
    workspace = Workspace.objects.create(account=account, region=region, name="bench_ws")
    User = get_user_model()
    owner = User.objects.create_user("bench-owner")
    Identity.objects.create(user=owner, account=account)
    staff = User.objects.create_superuser("bench-support", password=None)
    console, admin = Client(), Client()
    console.force_login(owner)
    admin.force_login(staff)
    return World(account=account, workspace=workspace, console=console, admin=admin, repeat=repeat)


def principals_grow(world: World, *, users: int, roles: int) -> None:
    """Members of the workspace up to `users` RAM users and `roles` RAM roles: every second user has
    a mainland mobile (activated), two in three an email (waiting for activation)."""
    account, workspace = world.account, world.workspace
    principals = [
        Principal(
            account=account,
            kind="user",
            name=f"user-{i:06}",
            display_name=f"User {i}",
            phone=f"+86139{i:08}" if i % 2 else "",
            email=f"user{i}@example.com" if i % 3 else "",
        )
        for i in range(world.users, users)
    ] + [Principal(account=account, kind="role", name=f"Role{i:06}") for i in range(world.roles, roles)]
    made = Principal.objects.bulk_create(principals, batch_size=2000)
    Membership.objects.bulk_create([Membership(workspace=workspace, principal=p) for p in made], batch_size=2000)
    methods = []
    for p in made:
        if p.phone:
            methods.append(ContactMethod(principal=p, channel="phone", status="activated"))
        if p.email:
            methods.append(ContactMethod(principal=p, channel="email", status="waiting"))
    ContactMethod.objects.bulk_create(methods, batch_size=2000)
    world.users, world.roles = max(world.users, users), max(world.roles, roles)


def database_url() -> str:
    """DATABASE_URL of the run's throwaway database, for the processes the bench starts."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    """The environment of a production process (DEBUG off) against the run's database, plain http
    on loopback, the outbox at settings.OUTBOX_PATH."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        OUTBOX_PATH=str(settings.OUTBOX_PATH),
        OUTBOX_UNDELIVERABLE="",
        SMS_PROVIDER="outbox",
        VOICE_PROVIDER="outbox",
        SMTP_HOST="",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage_py() -> list[str]:
    return [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]


def alerts_clear(*, keep=None) -> None:
    """Forget every alert (but `keep`) and its deliveries, one DELETE per table (as
    alerts.retention does): each measurement of sending starts from an empty queue."""
    from alerts.models import Alert, Delivery

    deliveries, alerts = Delivery.objects.all(), Alert.objects.all()
    if keep is not None:
        deliveries, alerts = deliveries.exclude(alert=keep), alerts.exclude(pk=keep.pk)
    deliveries._raw_delete(deliveries.db)
    alerts._raw_delete(alerts.db)
