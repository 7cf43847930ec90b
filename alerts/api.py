"""The alert API (I1) and the Prometheus Alertmanager receiver (I2): JSON in and out, errors
included; bearer tokens; never a 500 for bad input, never a partial alert."""

import hashlib
import json
import logging
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from throttling.addresses import client_address
from throttling.api import api_auth_failure_record, api_auth_retry_after

from .alertmanager import alertmanager_translate
from .api_tokens import api_token_authenticate
from .intake import MAX_IDEMPOTENCY_KEY, ChunkFailed, alert_accept, alerts_store, channels_clean
from .models import Alert, ApiToken, Channel
from .openapi import openapi_spec, request_errors
from .routing import recipients_lookup

logger = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status, message, **extra):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


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


def too_many_failures(retry_after):
    response = error(
        429, "too many failed token checks from this address; try again later", retry_after_seconds=retry_after
    )
    response["Retry-After"] = str(retry_after)
    return response


def token_check(request, token_kind):
    """None when the bearer token of `token_kind` is good (set as request.api_token), else the
    answer: 429 while this address has used up its failures (I1), 401 (counted) otherwise."""
    address = client_address(request)
    retry_after = api_auth_retry_after(ip_address=address)
    if retry_after is not None:
        return too_many_failures(retry_after)
    request.api_token = api_token_authenticate(bearer(request), kind=token_kind)
    if request.api_token is None:
        api_auth_failure_record(ip_address=address)
        return unauthorized()
    return None


def api_endpoint(*, methods, token_kind=None):
    """The one guard of every API view: JSON 405 for other methods, the bearer token of
    `token_kind` (set as request.api_token) with failures rate-limited per address, ApiError as a
    JSON answer, and a JSON 500 (logged) for anything unexpected, so that no /api/ answer is ever
    an HTML page."""

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method not in methods:
                response = error(405, f"method {request.method} is not allowed here")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                if token_kind is not None and (refused := token_check(request, token_kind)) is not None:
                    return refused
                return view(request, *args, **kwargs)
            except ApiError as problem:
                return error(problem.status, problem.message, **problem.extra)
            except ValidationError as invalid:
                return bad_request({k: [str(m) for m in v] for k, v in invalid.message_dict.items()})
            except Exception:
                logger.exception("API %s %s failed", request.method, request.path)
                return error(500, "internal error; nothing was stored unless the answer said so")

        return wrapped

    return decorator


def read_json(request, *, max_bytes):
    """The body as a JSON object. A body over `max_bytes` is a 413 naming the limit; it is read
    from the stream (request.body would stop at DATA_UPLOAD_MAX_MEMORY_SIZE with an HTML 400)."""
    too_big = ApiError(413, f"the body is larger than the limit of {max_bytes} bytes", limit_bytes=max_bytes)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes:
        raise too_big
    raw = request.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise too_big
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid request", errors={"body": ["the body is not valid JSON"]}) from None
    except RecursionError:
        raise ApiError(400, "invalid request", errors={"body": ["the body is nested too deeply"]}) from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid request", errors={"body": ["the body must be a JSON object"]})
    return data


def fallback_path(delivery, by_id):
    path, current = [], delivery
    while current.replaces_id and current.replaces_id in by_id and len(path) < 10:
        current = by_id[current.replaces_id]
        path.append(current.pk)
    return path[::-1]


def alert_url(request, alert_id):
    return request.build_absolute_uri(reverse("api:alert", args=[alert_id]))


def warnings_json(warnings):
    """Warnings as stored (a code and its parameters) plus an English sentence for people."""
    texts = {"RECIPIENTS_SKIPPED": "skipped recipients that are not RAM users or RAM roles of the workspace: {names}"}
    return [
        {
            **w,
            "message": texts.get(w.get("code"), "{code}").format(
                names=", ".join(w.get("names", [])), code=w.get("code")
            ),
        }
        for w in warnings
    ]


def alert_json(request, alert):
    deliveries = list(alert.deliveries.order_by("pk"))
    by_id = {d.pk: d for d in deliveries}
    return {
        "id": alert.pk,
        "url": alert_url(request, alert.pk),
        "workspace": alert.workspace.name,
        "rule": alert.rule,
        "title": alert.title,
        "content": alert.content,
        "severity": alert.severity,
        "source": alert.source,
        "created_at": alert.created_at.isoformat(),
        "resolved": alert.resolved,
        "warnings": warnings_json(alert.warnings),
        "final": all(d.is_final for d in deliveries),
        "deliveries": [
            {
                "id": d.pk,
                "channel": d.channel,
                "recipient": d.recipient_name,
                "role": d.role,
                "address": d.address,
                "route": d.route,
                "language": d.language,
                "status": d.status,
                "reason_code": d.reason_code,
                "reason": d.reason,
                "attempts": d.attempts,
                "replaces": d.replaces_id,
                "fallback_path": fallback_path(d, by_id),
            }
            for d in deliveries
        ],
    }


def accepted(request, alert_id):
    url = alert_url(request, alert_id)
    response = JsonResponse({"id": alert_id, "url": url}, status=202)
    response["Location"] = url
    return response


def _idempotency_key(request):
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise ApiError(
            400, "invalid request", errors={"Idempotency-Key": [f"at most {MAX_IDEMPOTENCY_KEY} characters"]}
        )
    return key or None


def _replay(request, *, workspace, key, digest):
    """The answer for a key already used in this workspace: the first alert for the same body, a
    422 for another body (a key names one request, as in payment APIs)."""
    existing = Alert.objects.filter(workspace=workspace, idempotency_key=key).values("pk", "request_digest").first()
    if existing is None:
        return None
    if existing["request_digest"] and existing["request_digest"] != digest:
        return error(
            422,
            "this Idempotency-Key was used for a different request body",
            errors={"Idempotency-Key": ["already used for another request; use a new key"]},
            alert=existing["pk"],
        )
    return accepted(request, existing["pk"])


@api_endpoint(methods=["POST"], token_kind=ApiToken.Kind.API)
def alert_collection(request):
    data = read_json(request, max_bytes=settings.API_MAX_BODY_BYTES)
    errors = request_errors("NewAlert", data)
    if errors:
        if "recipients" not in errors and data.get("recipients"):  # name every bad field at once
            _found, unknown = recipients_lookup(workspace=request.api_token.workspace, names=data["recipients"])
            if unknown:
                errors["recipients"] = [f"Not a RAM user or RAM role of this workspace: {', '.join(unknown)}."]
        return bad_request(errors)
    key = _idempotency_key(request)
    workspace = request.api_token.workspace
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8", "surrogatepass")).hexdigest()
    if key and (replay := _replay(request, workspace=workspace, key=key, digest=digest)):
        return replay
    alert = alert_accept(
        workspace=workspace,
        source="api",
        recipients=data.get("recipients") or [],
        channels=data.get("channels") or [],
        title=data.get("title") or "",
        content=data.get("content") or "",
        rule=data.get("rule") or "",
        severity=data.get("severity") or "",
        idempotency_key=key,
        request_digest=digest,
    )
    if key and alert.request_digest != digest:  # the same key raced in with another body
        return _replay(request, workspace=workspace, key=key, digest=digest)
    return accepted(request, alert.pk)


@api_endpoint(methods=["GET"], token_kind=ApiToken.Kind.API)
def alert_detail(request, alert_id):
    alert = Alert.objects.filter(pk=alert_id, workspace=request.api_token.workspace).select_related("workspace").first()
    if alert is None:
        return error(404, "no such alert in this workspace")
    return JsonResponse(alert_json(request, alert))


@api_endpoint(methods=["POST"], token_kind=ApiToken.Kind.ALERTMANAGER)
def alertmanager_receiver(request):
    """Each alert of the group becomes one alert to the recipients and channels of the receiver
    token. A big group is stored in short chunks; recipients that left the workspace are skipped
    with a warning instead of losing the alert for everybody (Alertmanager does not retry a 4xx)."""
    token = request.api_token
    data = read_json(request, max_bytes=settings.ALERTMANAGER_MAX_BODY_BYTES)
    count = len(data["alerts"]) if isinstance(data.get("alerts"), list) else 0
    if count > settings.ALERTMANAGER_MAX_ALERTS:
        limit = settings.ALERTMANAGER_MAX_ALERTS
        return error(
            413,
            f"the notification holds {count} alerts; the limit is {limit} (set max_alerts in Alertmanager)",
            limit_alerts=limit,
        )
    errors = request_errors("AlertmanagerNotification", data)
    if errors:
        return bad_request(errors)
    items, skipped = alertmanager_translate(data, token_id=token.pk, send_resolved=token.send_resolved)
    channels = channels_clean(token.channels)
    principals, unknown = recipients_lookup(workspace=token.workspace, names=token.recipients)
    if not principals and Channel.WEBHOOK not in channels:
        names = ", ".join(unknown) or "-"
        return bad_request(
            {"recipients": [f"no recipient of this receiver is a RAM user or RAM role of the workspace: {names}"]}
        )
    warnings = [{"code": "RECIPIENTS_SKIPPED", "names": unknown}] if unknown else []
    try:
        result = alerts_store(
            workspace=token.workspace,
            items=items,
            principals=principals,
            channels=channels,
            source="alertmanager",
            recipients=list(token.recipients),
            warnings=warnings,
        )
    except ChunkFailed as failed:
        logger.error("Alertmanager notification stored only in part: %s", failed.error)
        response = error(
            503,
            "the notification was stored only in part; send it again (repeats are recognised)",
            accepted=failed.result.accepted,
        )
        response["Retry-After"] = "5"
        return response
    repeats = len(items) - len(result.accepted)
    logger.info(
        "Alertmanager notification for %s: %d alerts accepted, %d skipped, longest write %.0f ms",
        token.workspace.name,
        len(result.accepted),
        skipped + repeats,
        result.longest_write_ms,
        extra={"longest_write_ms": result.longest_write_ms},
    )
    return JsonResponse(
        {"accepted": result.accepted, "skipped": skipped + repeats, "warnings": warnings_json(warnings)}, status=202
    )


@api_endpoint(methods=["GET"])
def openapi_document(request):
    return JsonResponse(openapi_spec())


@api_endpoint(methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def not_found(request, rest=""):
    return error(404, "no such API resource")
