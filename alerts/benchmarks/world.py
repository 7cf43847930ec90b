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
from django.db import connection, transaction
from django.db.models import Q
from django.test import Client
from django.utils import timezone

from alerts.models import Identity, Membership, Region, Workspace
from contacts.models import Account, ContactMethod, Language, Principal


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
    a mainland mobile (activated), two in three an email (waiting for activation).

    Written with COPY or multi-row INSERTs (rows_insert) rather than bulk_create: the ORM's work
    per object (model instances, phone numbers parsed again) took ~45 s for 110,000 principals,
    this takes a few seconds. The rows hold what the models would store."""
    account, workspace = world.account, world.workspace
    fresh = [
        ("user", f"user-{i:06}", f"User {i}", f"+86139{i:08}" if i % 2 else "", f"user{i}@example.com" if i % 3 else "")
        for i in range(world.users, users)
    ] + [("role", f"Role{i:06}", "", "", "") for i in range(world.roles, roles)]
    principal = {"account_id": account.pk, "version": 1, "language": Language.AUTO, "ram_id": ""}
    rows_insert(
        Principal,
        [principal | dict(zip(("kind", "name", "display_name", "phone", "email"), row, strict=True)) for row in fresh],
    )
    pks = dict(Principal.objects.filter(account=account).values_list("name", "pk"))
    added_at = connection.ops.adapt_datetimefield_value(timezone.now())
    rows_insert(
        Membership,
        [
            {"workspace_id": workspace.pk, "principal_id": pks[row[1]], "added_at": added_at, "dataworks_roles": "[]"}
            for row in fresh
        ],
    )
    methods = []
    for _kind, name, _display_name, phone, email in fresh:
        if phone:
            methods.append({"principal_id": pks[name], "channel": "phone", "status": "activated", "send_error": ""})
        if email:
            methods.append({"principal_id": pks[name], "channel": "email", "status": "waiting", "send_error": ""})
    rows_insert(ContactMethod, methods)
    statistics_update()
    world.users, world.roles = max(world.users, users), max(world.roles, roles)


def principals_trim(world: World, *, users: int, roles: int) -> None:
    """Back down to `users` RAM users and `roles` RAM roles (the ones principals_grow made last go
    first), so a measurement that needed a bigger directory leaves the next one what it found."""
    extra = Principal.objects.filter(account=world.account).filter(
        Q(kind="user", name__gte=f"user-{users:06}") | Q(kind="role", name__gte=f"Role{roles:06}")
    )
    ContactMethod.objects.filter(principal__in=extra)._raw_delete(connection.alias)
    Membership.objects.filter(principal__in=extra)._raw_delete(connection.alias)
    extra._raw_delete(connection.alias)
    statistics_update(vacuum=True)
    world.users, world.roles = min(world.users, users), min(world.roles, roles)


def statistics_update(*models, vacuum: bool = False) -> None:
    """On PostgreSQL, what autovacuum does within a minute of a big change, done now so every run
    measures the same plans: the planner's statistics of the grown tables (and the dead rows of a
    trim away). SQLite keeps no statistics unless asked (ANALYZE), and the product never asks."""
    if connection.vendor != "postgresql":
        return
    command = "VACUUM ANALYZE" if vacuum and not connection.in_atomic_block else "ANALYZE"  # VACUUM: not in one
    with connection.cursor() as cursor:
        for model in models or (Principal, Membership, ContactMethod):
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")


def rows_insert(model, rows: list[dict]) -> None:
    """INSERT `rows` (dicts of column: value, all with the same columns) into `model`'s table in one
    transaction: COPY on PostgreSQL, else many rows per INSERT (as many as the database takes
    parameters). Row by row, the client's work per statement is most of the time."""
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = list(rows[0])
    into = "{} ({})".format(quote(model._meta.db_table), ", ".join(map(quote, columns)))
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {into} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
            return
        batch = min(1000, (connection.features.max_query_params or 30000) // len(columns))
        one = "({})".format(", ".join(["%s"] * len(columns)))
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            values = ", ".join([one] * len(chunk))
            cursor.execute(f"INSERT INTO {into} VALUES {values}", [row[c] for row in chunk for c in columns])


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
