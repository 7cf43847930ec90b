"""The alert API (I1) and the Prometheus Alertmanager receiver (I2): JSON in and out, errors
included; bearer tokens; never a 500 for bad input, never a partial alert.

`api_endpoint` is the one guard of every view and the only code that reads a token or parses a
body. Each body is validated against its schema in openapi.py, the same schema the OpenAPI
document shows; what a schema cannot know (which recipients exist) intake checks."""

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from contacts.messaging.aliyun import sms_report_receipt, voice_report_receipt
from throttling.addresses import client_address
from throttling.api import api_auth_failure_record, api_auth_retry_after

from .alertmanager import alertmanager_translate
from .api_tokens import api_token_authenticate
from .intake import (
    Audience,
    ChunkFailed,
    IntakeResult,
    NewAlert,
    alert_accept,
    alerts_store,
    receiver_audience,
    recipients_errors,
)
from .models import Alert, ApiToken, Channel, Delivery, Workspace
from .openapi import IDEMPOTENCY_KEY, JsonObject, openapi_spec, request_errors
from .receipts import receipts_store
from .tasks import WAKEUPS

logger = logging.getLogger(__name__)
View = Callable[..., HttpResponse]


class ApiError(Exception):
    """An answer other than success, raised anywhere under a view: status, message, extra JSON
    fields and headers."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra, self.headers = status, message, extra, headers or {}

    def response(self) -> JsonResponse:
        response = error(self.status, self.message, **self.extra)
        for name, value in self.headers.items():
            response[name] = value
        return response


def error(status: int, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def invalid(errors: dict[str, list[str]]) -> ApiError:
    """A 400 naming each bad field."""
    return ApiError(400, "invalid request", errors=errors)


def api_endpoint(
    *,
    methods: Sequence[str],
    token_kind: str | None = None,
    query_token: str | None = None,
    body_limit: str | None = None,
    body_array: bool = False,
) -> Callable[[View], View]:
    """The one guard of every API view: a JSON 405 for other methods; with `token_kind`, the bearer
    token of that kind, passed to the view as `token` (failures rate-limited per address); with
    `query_token` (the name of the setting that holds it), a shared secret in the `?token=` query
    parameter, for callers that cannot send headers (a provider pushing receipts); with
    `body_limit` (the name of the setting that holds the limit in bytes), the body as a JSON object
    (a JSON array with `body_array`), passed as `data`. ApiError and ValidationError become JSON
    answers, anything unexpected a JSON 500 (logged), so that no /api/ answer is ever an HTML page."""

    def decorator(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    allow = ", ".join(methods)
                    raise ApiError(405, f"method {request.method} is not allowed here", headers={"Allow": allow})
                if token_kind is not None:
                    kwargs["token"] = token_check(request, token_kind)
                if query_token is not None:
                    query_token_check(request, query_token)
                if body_limit is not None:
                    limit = getattr(settings, body_limit)
                    kwargs["data"] = read_json(request, max_bytes=limit, array=body_array)
                return view(request, *args, **kwargs)
            except ApiError as problem:
                return problem.response()
            except ValidationError as refused:
                return invalid({k: [str(m) for m in v] for k, v in refused.message_dict.items()}).response()
            except Exception:
                logger.exception("API %s %s failed", request.method, request.path)
                return error(500, "internal error; nothing was stored unless the answer said so")

        return wrapped

    return decorator


def bearer(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    return raw.strip() if scheme.lower() == "bearer" else ""


def token_check(request: HttpRequest, token_kind: str) -> ApiToken:
    """The active bearer token of `token_kind`. Raises ApiError: 429 while this address has used up
    its failures (I1), 401 (counted) for a missing, unknown or revoked token."""
    address = _refused_address(request)
    token = api_token_authenticate(bearer(request), kind=token_kind)
    if token is None:
        api_auth_failure_record(ip_address=address)
        raise ApiError(
            401, "missing, unknown or revoked token", headers={"WWW-Authenticate": 'Bearer realm="alert-contacts"'}
        )
    return token


def _refused_address(request: HttpRequest) -> str:
    """The client's address, or a 429 while it has used up its failed token checks (I1)."""
    address = client_address(request)
    retry_after = api_auth_retry_after(ip_address=address)
    if retry_after is not None:
        raise ApiError(
            429,
            "too many failed token checks from this address; try again later",
            headers={"Retry-After": str(retry_after)},
            retry_after_seconds=retry_after,
        )
    return address


def query_token_check(request: HttpRequest, setting: str) -> None:
    """The `?token=` parameter against the setting `setting`, compared in constant time. A 404 while
    the setting is empty (the endpoint is off), a 403 (counted) for a missing or wrong token."""
    expected = str(getattr(settings, setting, "") or "")
    if not expected:
        raise ApiError(404, f"this endpoint is off: {setting} is not set on this installation")
    address = _refused_address(request)
    if not constant_time_compare(request.GET.get("token", ""), expected):
        api_auth_failure_record(ip_address=address)
        raise ApiError(403, "missing or wrong token (the ?token= parameter)")


def read_json(request: HttpRequest, *, max_bytes: int, array: bool = False) -> Any:
    """The body as a JSON object (a JSON array with `array`). A body over `max_bytes` is a 413
    naming the limit; it is read from the stream (request.body would stop at
    DATA_UPLOAD_MAX_MEMORY_SIZE with an HTML 400)."""
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
        raise invalid({"body": ["the body is not valid JSON"]}) from None
    except RecursionError:
        raise invalid({"body": ["the body is nested too deeply"]}) from None
    if array and not isinstance(data, list):
        raise invalid({"body": ["the body must be a JSON array"]})
    if not array and not isinstance(data, dict):
        raise invalid({"body": ["the body must be a JSON object"]})
    return data


def body_check(schema_name: str, data: object) -> None:
    """A 400 naming each field the request schema refuses (the document's own schema)."""
    if errors := request_errors(schema_name, data):
        raise invalid(errors)


def fallback_path(delivery: Delivery, by_id: dict[int, Delivery]) -> list[int]:
    path: list[int] = []
    current = delivery
    while current.replaces_id and current.replaces_id in by_id and len(path) < 10:
        current = by_id[current.replaces_id]
        path.append(current.pk)
    return path[::-1]


def alert_url(request: HttpRequest, alert_id: int) -> str:
    return request.build_absolute_uri(reverse("api:alert", args=[alert_id]))


def warnings_json(warnings: list[JsonObject]) -> list[JsonObject]:
    """Warnings as stored (a code and its parameters) plus an English sentence for people."""
    texts = {"RECIPIENTS_SKIPPED": "skipped recipients that are not RAM users or RAM roles of the workspace: {names}"}
    return [
        {
            **w,
            "message": texts.get(w.get("code", ""), "{code}").format(
                names=", ".join(w.get("names", [])), code=w.get("code")
            ),
        }
        for w in warnings
    ]


def delivery_json(delivery: Delivery, by_id: dict[int, Delivery]) -> JsonObject:
    return {
        "id": delivery.pk,
        "channel": delivery.channel,
        "recipient": delivery.recipient_name,
        "role": delivery.role,
        "address": delivery.address,
        "route": delivery.route,
        "language": delivery.language,
        "status": delivery.status,
        "reason_code": delivery.reason_code,
        "reason": delivery.reason,
        "attempts": delivery.attempts,
        "provider_message_id": delivery.provider_message_id,
        "receipt_status": delivery.receipt_status,
        "receipt_at": delivery.receipt_at.isoformat() if delivery.receipt_at else None,
        "receipt_code": delivery.receipt_code,
        "receipt_message": delivery.receipt_message,
        "replaces": delivery.replaces_id,
        "fallback_path": fallback_path(delivery, by_id),
    }


def alert_json(request: HttpRequest, alert: Alert) -> JsonObject:
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
        "deliveries": [delivery_json(d, by_id) for d in deliveries],
    }


def accepted(request: HttpRequest, alert_id: int) -> JsonResponse:
    url = alert_url(request, alert_id)
    response = JsonResponse({"id": alert_id, "url": url}, status=202)
    response["Location"] = url
    return response


def _idempotency_key(request: HttpRequest) -> str | None:
    """The Idempotency-Key header, at most as long as the document's parameter says (a header is not
    a body: the length is checked here, and a test keeps it in step with the document)."""
    name, limit = IDEMPOTENCY_KEY["name"], IDEMPOTENCY_KEY["schema"]["maxLength"]
    key = request.headers.get(name, "").strip()
    if len(key) > limit:
        raise invalid({name: [f"at most {limit} characters"]})
    return key or None


def _replay(request: HttpRequest, *, workspace: Workspace, key: str, digest: str) -> JsonResponse | None:
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


def _new_alert_check(workspace: Workspace, data: JsonObject) -> None:
    """A 400 unless `data` is a NewAlert. With other fields refused, unknown recipients are named
    too, so that one answer names every bad field."""
    errors = request_errors("NewAlert", data)
    if errors and "recipients" not in errors and data.get("recipients"):
        errors |= recipients_errors(workspace=workspace, names=data["recipients"])
    if errors:
        raise invalid(errors)


@api_endpoint(methods=["POST"], token_kind=ApiToken.Kind.API, body_limit="API_MAX_BODY_BYTES")
def alert_collection(request: HttpRequest, *, token: ApiToken, data: JsonObject) -> HttpResponse:
    workspace = token.workspace
    _new_alert_check(workspace, data)
    key = _idempotency_key(request)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8", "surrogatepass")).hexdigest()
    # The body's fields are alert_accept's own keywords (a test keeps the schema and them in step).
    # With a key used before, alert_accept returns the first alert before checking anything else.
    alert = alert_accept(workspace=workspace, source="api", idempotency_key=key, request_digest=digest, **data)
    if key and alert.request_digest != digest:  # the key was used for another body
        return _replay(request, workspace=workspace, key=key, digest=digest) or accepted(request, alert.pk)
    return accepted(request, alert.pk)


@api_endpoint(methods=["GET"], token_kind=ApiToken.Kind.API)
def alert_detail(request: HttpRequest, alert_id: int, *, token: ApiToken) -> HttpResponse:
    alert = Alert.objects.filter(pk=alert_id, workspace=token.workspace).select_related("workspace").first()
    if alert is None:
        return error(404, "no such alert in this workspace")
    return JsonResponse(alert_json(request, alert))


def _alert_count_check(data: JsonObject) -> None:
    """A 413 for a notification of more than ALERTMANAGER_MAX_ALERTS alerts, before anything else."""
    count = len(data["alerts"]) if isinstance(data.get("alerts"), list) else 0
    limit = settings.ALERTMANAGER_MAX_ALERTS
    if count > limit:
        message = f"the notification holds {count} alerts; the limit is {limit} (set max_alerts in Alertmanager)"
        raise ApiError(413, message, limit_alerts=limit)


def _notification_store(token: ApiToken, items: list[NewAlert], audience: Audience) -> IntakeResult:
    """The notification's alerts stored in short chunks; a 503 naming what was stored if a chunk fails."""
    try:
        return alerts_store(
            workspace=token.workspace,
            items=items,
            principals=audience.principals,
            channels=audience.channels,
            source="alertmanager",
            recipients=list(token.recipients),
            warnings=audience.warnings,
        )
    except ChunkFailed as failed:
        logger.error("Alertmanager notification stored only in part: %s", failed.error)
        raise ApiError(
            503,
            "the notification was stored only in part; send it again (repeats are recognised)",
            headers={"Retry-After": "5"},
            accepted=failed.result.accepted,
        ) from None


@api_endpoint(methods=["POST"], token_kind=ApiToken.Kind.ALERTMANAGER, body_limit="ALERTMANAGER_MAX_BODY_BYTES")
def alertmanager_receiver(request: HttpRequest, *, token: ApiToken, data: JsonObject) -> HttpResponse:
    """Each alert of the group becomes one alert to the recipients and channels of the receiver
    token (recipients that left the workspace are skipped with a warning, see receiver_audience)."""
    _alert_count_check(data)
    body_check("AlertmanagerNotification", data)
    items, skipped = alertmanager_translate(data, token_id=token.pk, send_resolved=token.send_resolved)
    audience = receiver_audience(workspace=token.workspace, recipients=token.recipients, channels=token.channels)
    result = _notification_store(token, items, audience)
    skipped += len(items) - len(result.accepted)  # repeats of alerts stored before
    logger.info(
        "Alertmanager notification for %s: %d alerts accepted, %d skipped, longest write %.0f ms",
        token.workspace.name,
        len(result.accepted),
        skipped,
        result.longest_write_ms,
        extra={"longest_write_ms": result.longest_write_ms},
    )
    answer = {"accepted": result.accepted, "skipped": skipped, "warnings": warnings_json(audience.warnings)}
    return JsonResponse(answer, status=202)


# What Alibaba Cloud expects back for a pushed batch of receipts it need not push again.
RECEIPTS_TAKEN = {"code": 0, "msg": "成功"}


def _receipts_taken() -> JsonResponse:
    return JsonResponse(RECEIPTS_TAKEN, json_dumps_params={"ensure_ascii": False})


@api_endpoint(methods=["POST"], query_token="RECEIPTS_TOKEN", body_limit="API_MAX_BODY_BYTES", body_array=True)
def aliyun_sms_receipts(request: HttpRequest, *, data: list[JsonObject]) -> HttpResponse:
    """Alibaba Cloud SMS pushes SmsReport arrays here: each receipt is recorded once (alerts.receipts)."""
    body_check("SmsReports", data)
    receipts_store(channel=Channel.SMS, receipts=[sms_report_receipt(r) for r in data], wakeups=WAKEUPS)
    return _receipts_taken()


@api_endpoint(methods=["POST"], query_token="RECEIPTS_TOKEN", body_limit="API_MAX_BODY_BYTES", body_array=True)
def aliyun_voice_receipts(request: HttpRequest, *, data: list[JsonObject]) -> HttpResponse:
    """Alibaba Cloud Voice pushes VoiceReport arrays here: each receipt is recorded once."""
    body_check("VoiceReports", data)
    receipts_store(channel=Channel.VOICE, receipts=[voice_report_receipt(r) for r in data], wakeups=WAKEUPS)
    return _receipts_taken()


@api_endpoint(methods=["GET"])
def openapi_document(request: HttpRequest) -> HttpResponse:
    return JsonResponse(openapi_spec())


@api_endpoint(methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error(404, "no such API resource")
