"""The alert API (I1) and the Prometheus Alertmanager receiver (I2): JSON, bearer tokens, never a
500 for bad input, never a partial alert."""

import json

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from .api_tokens import api_token_authenticate
from .delivery import alert_accept
from .models import Alert, ApiToken
from .openapi import OPENAPI

MAX_BODY = 256 * 1024
FIELDS = {"rule": str, "title": str, "content": str, "severity": str, "recipients": list, "channels": list}


def error(status, message, **extra):
    return JsonResponse({"error": message, **extra}, status=status)


def bad_request(errors):
    return JsonResponse({"error": "invalid request", "errors": errors}, status=400)


def bearer(request):
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    return raw.strip() if scheme.lower() == "bearer" else ""


def unauthorized():
    response = error(401, "missing, unknown or revoked token")
    response["WWW-Authenticate"] = 'Bearer realm="alert-contacts"'
    return response


def read_json(request):
    if len(request.body) > MAX_BODY:
        raise ValueError("the body is larger than 256 KiB")
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ValueError("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def fallback_path(delivery, by_id):
    path, current = [], delivery
    while current.replaces_id and current.replaces_id in by_id and len(path) < 10:
        current = by_id[current.replaces_id]
        path.append(current.pk)
    return path[::-1]


def alert_json(request, alert):
    deliveries = list(alert.deliveries.order_by("pk"))
    by_id = {d.pk: d for d in deliveries}
    return {
        "id": alert.pk,
        "url": request.build_absolute_uri(reverse("api:alert", args=[alert.pk])),
        "workspace": alert.workspace.name,
        "rule": alert.rule, "title": alert.title, "content": alert.content, "severity": alert.severity,
        "source": alert.source, "created_at": alert.created_at.isoformat(),
        "final": all(d.is_final for d in deliveries),
        "deliveries": [
            {"id": d.pk, "channel": d.channel, "recipient": d.recipient_name, "role": d.role, "address": d.address,
             "route": d.route, "language": d.language, "status": d.status, "reason_code": d.reason_code,
             "reason": d.reason, "attempts": d.attempts, "replaces": d.replaces_id,
             "fallback_path": fallback_path(d, by_id)}
            for d in deliveries
        ],
    }


@method_decorator(csrf_exempt, name="dispatch")
class AlertCollectionView(View):
    http_method_names = ["post"]

    def post(self, request):
        token = api_token_authenticate(bearer(request), kind=ApiToken.Kind.API)
        if token is None:
            return unauthorized()
        try:
            data = read_json(request)
        except ValueError as problem:
            return bad_request({"body": [str(problem)]})
        errors = {}
        for name, kind in FIELDS.items():
            if name in data and data[name] is not None and not isinstance(data[name], kind):
                errors[name] = [f"must be a {'list' if kind is list else 'string'}"]
        for name in ("recipients", "channels"):
            if isinstance(data.get(name), list) and not all(isinstance(v, str) for v in data[name]):
                errors[name] = ["must be a list of strings"]
        unknown = sorted(set(data) - set(FIELDS))
        if unknown:
            errors["body"] = [f"unknown field: {name}" for name in unknown]
        if errors:
            return bad_request(errors)
        key = request.headers.get("Idempotency-Key", "").strip()[:200] or None
        workspace = token.workspace
        if key:
            existing = Alert.objects.filter(workspace=workspace, idempotency_key=key).first()
            if existing:
                return JsonResponse({"id": existing.pk, "url": alert_json(request, existing)["url"]}, status=202)
        try:
            with transaction.atomic():
                alert = alert_accept(
                    workspace=workspace, source="api", recipients=data.get("recipients") or [],
                    channels=data.get("channels") or [], title=data.get("title") or "", content=data.get("content") or "",
                    rule=data.get("rule") or "", severity=data.get("severity") or "", idempotency_key=key,
                )
        except ValidationError as invalid:
            return bad_request({k: [str(m) for m in v] for k, v in invalid.message_dict.items()})
        except IntegrityError:  # the same key raced in: answer with the first alert
            alert = Alert.objects.get(workspace=workspace, idempotency_key=key)
        url = request.build_absolute_uri(reverse("api:alert", args=[alert.pk]))
        response = JsonResponse({"id": alert.pk, "url": url}, status=202)
        response["Location"] = url
        return response


class AlertDetailView(View):
    http_method_names = ["get"]

    def get(self, request, alert_id):
        token = api_token_authenticate(bearer(request), kind=ApiToken.Kind.API)
        if token is None:
            return unauthorized()
        alert = Alert.objects.filter(pk=alert_id, workspace=token.workspace).select_related("workspace").first()
        if alert is None:
            return error(404, "no such alert in this workspace")
        return JsonResponse(alert_json(request, alert))


@method_decorator(csrf_exempt, name="dispatch")
class AlertmanagerView(View):
    """Prometheus Alertmanager's webhook (version 4): each alert of the group becomes one alert to
    the recipients and channels configured for the receiver token."""

    http_method_names = ["post"]

    def post(self, request):
        token = api_token_authenticate(bearer(request), kind=ApiToken.Kind.ALERTMANAGER)
        if token is None:
            return unauthorized()
        try:
            data = read_json(request)
        except ValueError as problem:
            return bad_request({"body": [str(problem)]})
        if str(data.get("version")) != "4":
            return bad_request({"version": ["only Alertmanager webhook version 4 is understood"]})
        alerts = data.get("alerts")
        if not isinstance(alerts, list) or not all(isinstance(a, dict) for a in alerts):
            return bad_request({"alerts": ["must be a list of objects"]})
        accepted, skipped = [], 0
        try:
            with transaction.atomic():
                for item in alerts:
                    labels = item.get("labels") if isinstance(item.get("labels"), dict) else {}
                    annotations = item.get("annotations") if isinstance(item.get("annotations"), dict) else {}
                    status = str(item.get("status") or data.get("status") or "firing")
                    if status == "resolved" and not token.send_resolved:
                        skipped += 1
                        continue
                    # Alertmanager repeats a still-firing alert every repeat_interval: the same
                    # fingerprint, start and status is the same alert, accepted once.
                    key = None
                    if item.get("fingerprint"):
                        key = f"alertmanager:{item['fingerprint']}:{item.get('startsAt', '')}:{status}"[:200]
                        if Alert.objects.filter(workspace=token.workspace, idempotency_key=key).exists():
                            skipped += 1
                            continue
                    name = str(labels.get("alertname") or "Alertmanager alert")
                    summary = str(annotations.get("summary") or "")
                    title = f"{name}{': ' + summary if summary else ''}"[:200]
                    details = [str(annotations.get("description") or "")]
                    details += [f"{k}={v}" for k, v in sorted(labels.items()) if k != "alertname"]
                    if item.get("generatorURL"):
                        details.append(str(item["generatorURL"]))
                    alert = alert_accept(
                        workspace=token.workspace, source="alertmanager", recipients=token.recipients, channels=token.channels,
                        title=title, content="\n".join(d for d in details if d), rule=name[:200],
                        severity=str(labels.get("severity") or "")[:20], idempotency_key=key,
                        resolved=status == "resolved",
                    )
                    accepted.append(alert.pk)
        except ValidationError as invalid:
            return bad_request({k: [str(m) for m in v] for k, v in invalid.message_dict.items()})
        return JsonResponse({"accepted": accepted, "skipped": skipped}, status=202)


def openapi_document(request):
    return JsonResponse(OPENAPI)
