"""The alert API's hot path reads and writes by hand (alerts.rows) what the ORM would: the same
instances, the same rows. Its token use is recorded to the minute, as the API Tokens page shows it."""

import hashlib
import json
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError
from django.db.models import Model
from django.test import Client, override_settings

from alerts import rows
from alerts.api_tokens import _active_token, api_token_authenticate, api_token_create, api_token_revoke
from alerts.models import Alert, ApiToken, Delivery
from alerts.routing import methods_attach, recipients_lookup
from contacts.models import Principal


def values(instance: Model) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_I1_the_token_is_read_with_its_workspace_and_account_as_the_orm_reads_them(ws, django_assert_num_queries):
    token, raw = api_token_create(workspace=ws, name="monitoring")
    digest = hashlib.sha256(raw.encode()).hexdigest()
    orm = ApiToken.objects.select_related("workspace__account").get(pk=token.pk)
    with django_assert_num_queries(1):
        found = _active_token(digest, "api")
        assert found.workspace.account.site == orm.workspace.account.site  # loaded with it
    assert values(found) == values(orm) and found._state.adding is False
    assert values(found.workspace) == values(orm.workspace)
    assert values(found.workspace.account) == values(orm.workspace.account)
    assert _active_token(digest, "alertmanager") is None
    api_token_revoke(token=token)
    assert _active_token(digest, "api") is None


def test_I1_recipients_are_read_with_their_account_and_contact_methods_as_the_orm_reads_them(
    ws, django_assert_num_queries
):
    names = ["alice", "bob", "role:OnCallBackup", "nobody"]
    with django_assert_num_queries(1):
        found, unknown = recipients_lookup(workspace=ws, names=names)
        methods_attach(found)  # loaded with them
        for principal in found:
            assert principal.account.site and all(m.value for m in principal.methods)
    assert unknown == ["nobody"]
    for principal in found:
        orm = Principal.objects.select_related("account").get(pk=principal.pk)
        assert values(principal) == values(orm) and values(principal.account) == values(orm.account)
        assert type(principal.phone) is type(orm.phone)  # a PhoneNumber, through the field's converter
        assert sorted(map(values, principal.methods), key=str) == sorted(
            map(values, orm.contact_methods.all()), key=str
        )


def test_D8_alerts_and_deliveries_are_inserted_as_bulk_create_inserts_them(ws):
    alert = Alert(workspace=ws, title="t", source="api", channels=["email"], recipients=["alice"], warnings=[{"a": 1}])
    rows.insert([alert], returning_pk=True)
    due = datetime(2026, 1, 2, tzinfo=UTC)
    delivery = Delivery(alert=alert, channel="email", address="a@example.com", next_attempt_at=due)
    rows.insert([delivery])
    stored = Alert.objects.get(pk=alert.pk)
    assert (stored.channels, stored.recipients, stored.warnings) == (["email"], ["alice"], [{"a": 1}])
    assert stored.created_at == alert.created_at and alert._state.adding is False  # auto_now_add, as saved
    (saved,) = stored.deliveries.all()
    assert saved.next_attempt_at == due and saved.status == "READY_TO_SEND"


def test_I1_a_tokens_use_is_recorded_once_a_minute(ws, time_machine, django_assert_num_queries):
    token, raw = api_token_create(workspace=ws, name="monitoring")
    time_machine.move_to(datetime(2026, 11, 27, 2, 0, 5, tzinfo=UTC), tick=False)
    api_token_authenticate(raw, kind="api")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == datetime(2026, 11, 27, 2, 0, 5, tzinfo=UTC)
    time_machine.move_to(datetime(2026, 11, 27, 2, 0, 59, tzinfo=UTC), tick=False)
    with django_assert_num_queries(1):  # the read, no write within the minute shown
        api_token_authenticate(raw, kind="api")
    time_machine.move_to(datetime(2026, 11, 27, 2, 1, 0, tzinfo=UTC), tick=False)
    api_token_authenticate(raw, kind="api")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == datetime(2026, 11, 27, 2, 1, 0, tzinfo=UTC)


def test_the_benchs_floor_checks_its_token_and_stores_one_alert(ws):
    digest = hashlib.sha256(b"floor-token").hexdigest()
    with override_settings(
        ROOT_URLCONF="alerts.benchmarks.urls", BENCH_FLOOR_TOKEN_SHA256=digest, BENCH_FLOOR_WORKSPACE_ID=ws.pk
    ):
        client = Client()
        body = json.dumps({"title": "floor"})
        refused = client.post(
            "/bench/floor", body, content_type="application/json", headers={"Authorization": "Bearer x"}
        )
        taken = client.post(
            "/bench/floor", body, content_type="application/json", headers={"Authorization": "Bearer floor-token"}
        )
    assert refused.status_code == 401 and taken.status_code == 202
    assert Alert.objects.get(pk=taken.json()["id"]).title == "floor"


@pytest.mark.django_db(transaction=True)
def test_D8_an_alert_and_its_deliveries_are_stored_all_or_nothing_outside_a_transaction():
    """The API's alert and its deliveries go in together (on PostgreSQL in one statement): a
    delivery that cannot be stored leaves no alert behind."""
    from alerts.demo import demo_load

    ws = demo_load(password="demo")["workspaces"]["demo_workspace"]
    alert = Alert(workspace=ws, title="t", source="api", channels=["email", "sms"], recipients=["alice"])
    deliveries = [Delivery(channel=c, address="x", next_attempt_at=datetime(2026, 1, 2, tzinfo=UTC)) for c in "ab"]
    rows.insert_family(alert, deliveries, link="alert")
    assert list(Alert.objects.get(pk=alert.pk).deliveries.values_list("channel", flat=True)) == ["a", "b"]
    assert all(d.alert_id == alert.pk and not d._state.adding for d in deliveries)
    broken = Alert(workspace=ws, title="broken", source="api")
    with pytest.raises(IntegrityError):
        rows.insert_family(broken, [Delivery(channel="email"), Delivery(channel=None)], link="alert")
    assert not Alert.objects.filter(title="broken").exists()
