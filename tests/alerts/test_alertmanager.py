"""The translation of Alertmanager's webhook into alerts (rule I2), on its own: a pure function, so
these tests ask for no database (pytest-django refuses any query from a test without `db`)."""

import copy

from alerts.alertmanager import alertmanager_translate
from alerts.intake import MAX_IDEMPOTENCY_KEY, MAX_RULE, MAX_SEVERITY, MAX_TITLE

from .test_alertmanager_receiver import GROUP


def test_I2_each_firing_alert_becomes_one_alert_and_resolved_ones_are_skipped():
    alerts, skipped = alertmanager_translate(GROUP, token_id=7, send_resolved=False)
    assert skipped == 1
    (alert,) = alerts
    assert (alert.title, alert.rule, alert.severity, alert.resolved) == (
        "HighLatency: p99 above 2 s",
        "HighLatency",
        "critical",
        False,
    )
    assert alert.content.splitlines() == [
        "api-1 p99 latency is 2.4 s",
        "instance=api-1",
        "severity=critical",
        "http://prometheus:9090/graph?g0.expr=latency",
    ]


def test_I2_a_receiver_that_sends_resolved_notifications_gets_them_as_resolved_alerts():
    alerts, skipped = alertmanager_translate(GROUP, token_id=7, send_resolved=True)
    assert skipped == 0
    assert [(a.title, a.resolved) for a in alerts] == [
        ("HighLatency: p99 above 2 s", False),
        ("HighLatency: p99 above 2 s", True),
    ]
    assert alerts[1].content.splitlines() == ["instance=api-2", "severity=critical"]  # no empty generatorURL


def test_I2_the_idempotency_key_is_the_receivers_fingerprint_start_and_status():
    """A repeat of a still-firing alert is the same alert for one receiver token, another alert for
    another token, and its resolution is another alert again."""
    (first,), _ = alertmanager_translate(GROUP, token_id=7, send_resolved=False)
    (again,), _ = alertmanager_translate(copy.deepcopy(GROUP), token_id=7, send_resolved=False)
    (other,), _ = alertmanager_translate(GROUP, token_id=8, send_resolved=False)
    resolved = {**GROUP, "alerts": [{**GROUP["alerts"][0], "status": "resolved"}]}
    (ended,), _ = alertmanager_translate(resolved, token_id=7, send_resolved=True)
    assert first.idempotency_key == again.idempotency_key == "alertmanager:7:a1:2026-11-26T10:00:00Z:firing"
    assert len({first.idempotency_key, other.idempotency_key, ended.idempotency_key}) == 3
    (unkeyed,), _ = alertmanager_translate({"version": "4", "alerts": [{}]}, token_id=7, send_resolved=False)
    assert unkeyed.idempotency_key is None


def test_I2_a_long_key_is_hashed_to_fit_its_column():
    long = {"version": "4", "alerts": [{"fingerprint": "f" * 300, "startsAt": "2026-11-26T10:00:00Z"}]}
    (alert,), _ = alertmanager_translate(long, token_id=7, send_resolved=False)
    assert len(alert.idempotency_key) <= MAX_IDEMPOTENCY_KEY and alert.idempotency_key.startswith(
        "alertmanager:sha256:"
    )


def test_I2_an_alert_takes_the_groups_status_when_it_has_none_and_firing_when_neither_has():
    group = {"version": "4", "status": "resolved", "alerts": [{"labels": {"alertname": "Disk"}}]}
    assert alertmanager_translate(group, token_id=7, send_resolved=False) == ([], 1)
    (alert,), _ = alertmanager_translate({"version": "4", "alerts": group["alerts"]}, token_id=7, send_resolved=False)
    assert alert.resolved is False


def test_E1_text_is_made_storable_and_cut_to_the_columns_never_refused():
    """Alertmanager does not retry a 4xx: what it sends is stored as well as it can be."""
    labels = {"alertname": "N\x00ame" + "x" * 300, "severity": "s" * 50, "zone": "\ud800"}
    group = {"version": "4", "alerts": [{"labels": labels, "annotations": {"summary": "y" * 300}}]}
    (alert,), _ = alertmanager_translate(group, token_id=7, send_resolved=False)
    assert len(alert.title) == MAX_TITLE and alert.title.startswith("Namexxx")
    assert len(alert.rule) == MAX_RULE and len(alert.severity) == MAX_SEVERITY
    assert "\x00" not in alert.content and "zone=?" in alert.content
    (nameless,), _ = alertmanager_translate({"version": "4", "alerts": [{}]}, token_id=7, send_resolved=False)
    assert (nameless.title, nameless.rule, nameless.content) == ("Alertmanager alert", "Alertmanager alert", "")
