"""Prometheus Alertmanager's webhook (version 4) translated into alerts (I2). Pure: no database.

The notification's shape is the AlertmanagerNotification schema's (openapi.py); the receiver
validates the body with it before translating, so nothing here checks that shape again."""

from typing import Any

from .intake import MAX_RULE, MAX_SEVERITY, MAX_TITLE, NewAlert, idempotency_key_digest


def _text(value: object) -> str:
    """Alertmanager's strings as the database can store them (no NUL, valid UTF-8)."""
    return str(value).replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def alertmanager_translate(
    payload: dict[str, Any], *, token_id: int, send_resolved: bool
) -> tuple[list[NewAlert], int]:
    """(alerts, skipped): one NewAlert per alert of a notification the schema accepted; resolved
    ones are skipped unless the receiver sends them. Each carries an idempotency key of the
    receiver token, the fingerprint, the start and the status: Alertmanager repeats a still-firing
    alert every repeat_interval, and that repeat is the same alert for this receiver (another
    receiver token is another audience)."""
    alerts, skipped = [], 0
    for item in payload["alerts"]:
        status = _text(item.get("status") or payload.get("status") or "firing")
        if status == "resolved" and not send_resolved:
            skipped += 1
            continue
        alerts.append(_alert(item, status=status, token_id=token_id))
    return alerts, skipped


def _alert(item: dict[str, Any], *, status: str, token_id: int) -> NewAlert:
    labels = item.get("labels") or {}
    annotations = item.get("annotations") or {}
    name = _text(labels.get("alertname") or "Alertmanager alert")
    summary = _text(annotations.get("summary") or "")
    details = [_text(annotations.get("description") or "")]
    details += [
        f"{_text(k)}={_text(v)}" for k, v in sorted(labels.items(), key=lambda kv: str(kv[0])) if k != "alertname"
    ]
    if item.get("generatorURL"):
        details.append(_text(item["generatorURL"]))
    key = None
    if item.get("fingerprint"):
        key = idempotency_key_digest(
            "alertmanager", token_id, _text(item["fingerprint"]), _text(item.get("startsAt", "")), status
        )
    return NewAlert(
        title=f"{name}{': ' + summary if summary else ''}"[:MAX_TITLE].strip() or "Alertmanager alert",
        content="\n".join(d for d in details if d),
        rule=name[:MAX_RULE],
        severity=_text(labels.get("severity") or "")[:MAX_SEVERITY],
        idempotency_key=key,
        resolved=status == "resolved",
    )
