"""`make bench`: measure pages against the Django admin in one run, in a throwaway database.

Timings on a shared machine are noisy, so every number is a median of repeated requests and the
contacts tab is always compared with the admin changelist measured in the same run.
"""

import json
import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment, teardown_test_environment
from django.urls import reverse

from alerts.models import Identity, Membership, Region, Workspace
from contacts.models import Account, ContactMethod, Principal

SIZES = [(1_000, 100), (10_000, 1_000)]  # (RAM users, RAM roles)
STORM = 10_000  # alerts in one Alertmanager notification


def alertmanager_storm(count, *, prefix="node"):
    """An Alertmanager group of `count` alerts with ordinary labels and annotations (~300 bytes
    each, as Alertmanager sends for a big group when max_alerts is unset)."""
    alerts = [
        {
            "status": "firing",
            "labels": {
                "alertname": "NodeDiskFull",
                "severity": "warning",
                "instance": f"{prefix}-{i:05}.prod:9100",
                "job": "node",
                "mountpoint": "/var/lib/data",
                "team": "platform",
            },
            "annotations": {
                "summary": f"Disk on {prefix}-{i:05} is 95% full",
                "description": "The filesystem /var/lib/data has less than 5% space left for 10 minutes.",
            },
            "startsAt": "2026-11-27T01:00:00.000Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=disk_free",
            "fingerprint": f"{prefix}{i:012x}",
        }
        for i in range(count)
    ]
    return {
        "version": "4",
        "status": "firing",
        "receiver": "dataworks",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0,
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://am:9093",
        "alerts": alerts,
    }


REPEAT = 15


class Command(BaseCommand):
    help = "Benchmark the Alert Contacts tab against the admin changelist (throwaway database)."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=REPEAT)

    def handle(self, *args, repeat, **options):
        setup_test_environment()
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            results = self.run(repeat)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            teardown_test_environment()
        self.stdout.write(f"\ndatabase: {connection.vendor}")
        self.stdout.write(
            f"{'measurement':<22}{'principals':>11}{'queries':>9}{'tab ms':>9}{'admin ms':>10}{'ratio':>7}"
        )
        for r in results:
            if r["name"].startswith("contacts"):
                ratio = r["ms_median"] / r["admin_ms_median"] if r["admin_ms_median"] else 0
                self.stdout.write(
                    f"{r['name']:<22}{r['principals']:>11}{r['queries']:>9}{r['ms_median']:>9.1f}{r['admin_ms_median']:>10.1f}{ratio:>7.2f}"
                )
        for r in results:
            if r["name"] == "am_intake":
                self.stdout.write(
                    f"{r['name']:<22}{r['alerts']:>11} alerts  {r['seconds']:.2f} s (floor "
                    f"{r['floor_seconds']:.2f} s), longest write transaction {r['longest_write_ms']:.0f} ms"
                )
        for r in results:
            if r["name"].startswith("dispatch"):
                extra = f"{r['queries']} queries" if "queries" in r else f"{r['per_second']:.0f} deliveries/s"
                self.stdout.write(f"{r['name']:<22}{r['deliveries']:>11} deliveries  {extra}  ({r['seconds']:.2f} s)")
        self.stdout.write("")
        for r in results:
            self.stdout.write("BENCH " + json.dumps(r))

    def run(self, repeat):
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
        tab = reverse("contacts:ram_users", args=[workspace.pk])
        changelist = reverse("admin:contacts_principal_changelist")
        made_users = made_roles = 0
        results = []
        for users, roles in SIZES:
            self.grow(account, workspace, made_users, users, made_roles, roles)
            made_users, made_roles = users, roles
            total = users + roles
            for name, params, admin_params in [
                ("contacts_tab", {}, {"kind__exact": "user"}),
                ("contacts_tab_search", {"q": "user-00042"}, {"kind__exact": "user", "q": "user-00042"}),
            ]:
                queries, ms = self.measure(console, tab, params, repeat)
                _, admin_ms = self.measure(admin, changelist, admin_params, repeat)
                results.append(
                    {
                        "name": name,
                        "principals": total,
                        "queries": queries,
                        "ms_median": round(ms, 2),
                        "admin_ms_median": round(admin_ms, 2),
                    }
                )
        results.extend(self.dispatch(account, workspace))
        results.append(self.am_intake(workspace))
        return results

    def am_intake(self, workspace):
        """One Alertmanager notification of STORM alerts (one recipient, two channels) through the
        receiver, against the floor: bulk_create of the same alert and delivery rows alone."""
        import logging

        from django.test import override_settings

        from alerts.api_tokens import api_token_create
        from alerts.models import Alert, ApiToken, Delivery

        recipient = Principal.objects.filter(account=workspace.account, kind="user").exclude(email="").exclude(phone="")
        name = recipient.order_by("name").values_list("name", flat=True).first()
        _, raw = api_token_create(
            workspace=workspace,
            name="bench-am",
            kind=ApiToken.Kind.ALERTMANAGER,
            recipients=[name],
            channels=["email", "sms"],
        )
        body = json.dumps(alertmanager_storm(STORM)).encode()
        records = []
        handler = logging.Handler()
        handler.emit = records.append
        logger = logging.getLogger("alerts.api")
        logger.addHandler(handler)
        try:
            with override_settings(
                TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
            ):
                start = time.perf_counter()
                response = Client().post(
                    "/api/v1/alertmanager",
                    data=body,
                    content_type="application/json",
                    headers={"Authorization": f"Bearer {raw}"},
                )
                seconds = time.perf_counter() - start
        finally:
            logger.removeHandler(handler)
        assert response.status_code == 202 and len(response.json()["accepted"]) == STORM, response.content[:300]
        longest = max((getattr(r, "longest_write_ms", 0) for r in records), default=0)
        template = list(Delivery.objects.filter(alert__source="alertmanager").order_by("pk")[:2])
        start = time.perf_counter()
        alerts = Alert.objects.bulk_create(
            [Alert(workspace=workspace, title=f"floor {i}", source="floor") for i in range(STORM)]
        )
        Delivery.objects.bulk_create(
            [
                Delivery(
                    alert=a,
                    channel=t.channel,
                    principal_id=t.principal_id,
                    recipient_name=t.recipient_name,
                    address=t.address,
                    language=t.language,
                    next_attempt_at=t.next_attempt_at,
                )
                for a in alerts
                for t in template
            ]
        )
        floor = time.perf_counter() - start
        return {
            "name": "am_intake",
            "alerts": STORM,
            "body_bytes": len(body),
            "seconds": round(seconds, 3),
            "floor_seconds": round(floor, 3),
            "longest_write_ms": round(longest, 1),
            "database": connection.vendor,
        }

    def dispatch(self, account, workspace):
        """One alert to 1,000 recipients × 2 channels through the outbox: the queries to
        accept it, then the deliveries per second of one worker."""
        import tempfile
        from pathlib import Path

        from django.conf import settings
        from django.test import override_settings

        from alerts.dispatch import deliveries_process
        from alerts.intake import alert_accept

        names = list(
            Principal.objects.filter(account=account, kind="user")
            .exclude(email="")
            .exclude(phone="")
            .order_by("name")
            .values_list("name", flat=True)[:1000]
        )
        ContactMethod.objects.filter(principal__name__in=names).update(status="activated")
        outbox = Path(tempfile.mkdtemp()) / "outbox.jsonl"
        with override_settings(
            MAILERS={"default": {"BACKEND": "contacts.messaging.outbox.OutboxEmailBackend"}},
            MESSAGING_TRANSPORTS={**settings.MESSAGING_TRANSPORTS, "sms": "contacts.messaging.outbox.OutboxTransport"},
            OUTBOX_PATH=outbox,
            OUTBOX_UNDELIVERABLE=[],
            TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}},
        ):
            reset_queries()
            start = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                alert = alert_accept(
                    workspace=workspace, title="bench", content="x", recipients=names, channels=["email", "sms"]
                )
            accept_seconds = time.perf_counter() - start
            total = alert.deliveries.count()
            start = time.perf_counter()
            handled = deliveries_process()
            deliver_seconds = time.perf_counter() - start
        sent = alert.deliveries.filter(status="SEND_SUCCESS").count()
        assert handled == total == sent, (handled, total, sent)
        return [
            {
                "name": "dispatch_accept",
                "deliveries": total,
                "queries": len(captured),
                "seconds": round(accept_seconds, 3),
                "database": connection.vendor,
            },
            {
                "name": "dispatch_deliver",
                "deliveries": total,
                "per_second": round(total / deliver_seconds, 1),
                "seconds": round(deliver_seconds, 3),
                "database": connection.vendor,
            },
        ]

    def grow(self, account, workspace, users_from, users_to, roles_from, roles_to):
        principals = [
            Principal(
                account=account,
                kind="user",
                name=f"user-{i:05}",
                display_name=f"User {i}",
                phone=f"+86139{i:08}" if i % 2 else "",
                email=f"user{i}@example.com" if i % 3 else "",
            )
            for i in range(users_from, users_to)
        ] + [Principal(account=account, kind="role", name=f"Role{i:05}") for i in range(roles_from, roles_to)]
        Principal.objects.bulk_create(principals, batch_size=1000)
        created = Principal.objects.filter(account=account).exclude(memberships__isnull=False)
        Membership.objects.bulk_create([Membership(workspace=workspace, principal=p) for p in created], batch_size=1000)
        methods = []
        for p in Principal.objects.filter(account=account, contact_methods__isnull=True).exclude(phone="", email=""):
            if p.phone:
                methods.append(ContactMethod(principal=p, channel="phone", status="activated"))
            if p.email:
                methods.append(ContactMethod(principal=p, channel="email", status="waiting"))
        ContactMethod.objects.bulk_create(methods, batch_size=1000)

    def measure(self, client, url, params, repeat):
        reset_queries()  # the log is a bounded deque: a full one would count nothing
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, params)
        assert response.status_code == 200, (url, response.status_code)
        timings = []
        for _ in range(repeat):
            start = time.perf_counter()
            client.get(url, params)
            timings.append((time.perf_counter() - start) * 1000)
        return len(captured), statistics.median(timings)
