"""The alert API's request bodies, each described once as a JSON Schema, and the OpenAPI 3 document
built around them (served at /api/v1/openapi.json).

The same schemas validate: the API refuses exactly what the document refuses, in the validator's
own words (`request_errors`), and intake checks an alert's own fields from any other source against
the NewAlert schema too (`schema_errors`), in the reader's language. What a schema cannot know, such
as which recipients exist, intake checks afterwards. Lengths come from the Alert columns and the
channels, roles and statuses from the models' choices, so that nothing here is written twice."""

import copy
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema_rs
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import CharField

from .models import Alert, Channel, Delivery

JsonObject = dict[str, Any]

# Text the databases can store: no NUL (lone surrogates cannot be encoded at all and are refused
# before the schema is consulted).
NO_NUL = "^[^\\x00]*$"
_TEXT: JsonObject = {"type": "string", "pattern": NO_NUL}
# Something other than white space: JSON Schema's \s, and what Python's str.strip() removes besides
# (\x1c-\x1f and NEL, \x85), so that nothing the schema allows is blank to the intake.
NOT_BLANK = "[^\\s\\x1c-\\x1f\\x85]"


def column_length(field: str) -> int:
    """How many characters the Alert column `field` holds: longer input is refused, never cut (E1)."""
    column = Alert._meta.get_field(field)
    if not isinstance(column, CharField) or column.max_length is None:
        raise ImproperlyConfigured(f"Alert.{field} is not a column of limited length")
    return column.max_length


_ERROR: JsonObject = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "errors": {"type": "object"}},
    "required": ["error"],
}
_NAME: JsonObject = {
    "type": "string",
    "minLength": 1,
    "maxLength": 200,
    "allOf": [{"pattern": NO_NUL}, {"pattern": NOT_BLANK}],
}
_STRINGS: JsonObject = {"type": "array", "items": _NAME}
_JSON_ERROR = {"application/json": {"schema": _ERROR}}
_COMMON_ERRORS = {
    "400": {"description": "Bad input, each bad field named; nothing is stored", "content": _JSON_ERROR},
    "401": {"description": "No token, or an unknown or revoked one", "content": _JSON_ERROR},
    "413": {
        "description": "The body (or the number of alerts) is over the limit named in the answer",
        "content": _JSON_ERROR,
    },
    "429": {
        "description": "Too many failed token checks from this address: every request waits Retry-After seconds",
        "content": _JSON_ERROR,
    },
}
_WARNING = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string"},
        "names": {"type": "array", "items": {"type": "string"}},
        "message": {"type": "string"},
    },
}

# The request bodies. Each is the one description of its body: the views validate with it and the
# document below refers to it.
NEW_ALERT: JsonObject = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "recipients", "channels"],
    "properties": {
        "rule": {**_TEXT, "maxLength": column_length("rule")},
        "title": {
            "type": "string",
            "minLength": 1,
            "maxLength": column_length("title"),
            "allOf": [{"pattern": NO_NUL}, {"pattern": NOT_BLANK}],
        },
        "content": _TEXT,
        "severity": {**_TEXT, "maxLength": column_length("severity")},
        "recipients": {**_STRINGS, "minItems": 1, "description": "RAM user login names, or role:RoleName"},
        "channels": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(Channel.values)}},
    },
}
ALERTMANAGER_NOTIFICATION: JsonObject = {
    "type": "object",
    "required": ["version", "alerts"],
    "description": "Prometheus Alertmanager's webhook body, version 4 (other fields are ignored).",
    "properties": {
        "version": {"type": "string", "enum": ["4"]},
        "status": {"type": "string", "enum": ["firing", "resolved"]},
        "alerts": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "status": {"type": "string", "enum": ["firing", "resolved"]},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                    "startsAt": {"type": "string"},
                    "endsAt": {"type": "string"},
                    "generatorURL": {"type": "string"},
                    "fingerprint": {"type": "string"},
                },
            },
        },
    },
}
_TEXT_OR_NUMBER: JsonObject = {"type": ["string", "integer"]}
# Alibaba Cloud's delivery receipts as its SMS and Voice services push them: a JSON array of
# SmsReport / VoiceReport objects (other fields are ignored). The whole array is checked before
# anything is stored.
SMS_REPORTS: JsonObject = {
    "type": "array",
    "description": "Alibaba Cloud SMS SmsReport receipts, as pushed (other fields are ignored).",
    "items": {
        "type": "object",
        "required": ["biz_id", "success"],
        "properties": {
            "phone_number": {"type": "string"},
            "send_time": {"type": "string"},
            "report_time": {"type": "string"},
            "success": {"type": "boolean"},
            "err_code": {"type": "string"},
            "err_msg": {"type": "string"},
            "sms_size": _TEXT_OR_NUMBER,
            "biz_id": {"type": "string", "minLength": 1, "maxLength": 100},
            "out_id": {"type": "string"},
        },
    },
}
VOICE_REPORTS: JsonObject = {
    "type": "array",
    "description": "Alibaba Cloud Voice VoiceReport receipts, as pushed (other fields are ignored).",
    "items": {
        "type": "object",
        "required": ["call_id", "status_code"],
        "properties": {
            "call_id": {"type": "string", "minLength": 1, "maxLength": 100},
            "status_code": {"type": "string", "minLength": 1},
            "status_msg": {"type": "string"},
            "caller": {"type": "string"},
            "callee": {"type": "string"},
            "originate_time": {"type": "string"},
            "start_time": {"type": "string"},
            "end_time": {"type": "string"},
            "status_time": {"type": "string"},
            "duration": _TEXT_OR_NUMBER,
            "voice_type": {"type": "string"},
            "out_id": {"type": "string"},
        },
    },
}
REQUEST_BODIES: dict[str, JsonObject] = {
    "NewAlert": NEW_ALERT,
    "AlertmanagerNotification": ALERTMANAGER_NOTIFICATION,
    "SmsReports": SMS_REPORTS,
    "VoiceReports": VOICE_REPORTS,
}
IDEMPOTENCY_KEY: JsonObject = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A retried POST with the same key (in this workspace) returns the first alert",
    "schema": {"type": "string", "maxLength": column_length("idempotency_key")},
}


def _receipts_path(schema: str, summary: str) -> JsonObject:
    """The push endpoint of one kind of receipt: the token in the query, the array in the body."""
    return {
        "post": {
            "operationId": f"receive{schema}",
            "summary": summary,
            "description": "Each receipt is recorded once; repeats and unknown ids change nothing. "
            "Off (404) while RECEIPTS_TOKEN is not set. Bodies up to {api_bytes} bytes.",
            "security": [{"receiptsToken": []}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
            },
            "responses": {
                "200": {
                    "description": 'Taken: {"code": 0, "msg": "成功"}',
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"code": {"type": "integer"}, "msg": {"type": "string"}},
                            }
                        }
                    },
                },
                "400": _COMMON_ERRORS["400"],
                "403": {"description": "A missing or wrong token", "content": _JSON_ERROR},
                "404": {"description": "Receipts are off: RECEIPTS_TOKEN is not set", "content": _JSON_ERROR},
                "413": _COMMON_ERRORS["413"],
                "429": _COMMON_ERRORS["429"],
            },
        }
    }


OPENAPI: JsonObject = {
    "openapi": "3.0.3",
    "info": {
        "title": "Alert Contacts API",
        "version": "1.0.0",
        "description": "Hand alerts to a workspace; read each delivery's status, reason and fallback path.",
    },
    "servers": [{"url": "/"}],
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "receiptsToken": {"type": "apiKey", "in": "query", "name": "token"},
        },
        "schemas": {
            "Error": _ERROR,
            **REQUEST_BODIES,
            "Accepted": {
                "type": "object",
                "required": ["id", "url"],
                "properties": {"id": {"type": "integer"}, "url": {"type": "string"}},
            },
            "Delivery": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "channel": {"type": "string"},
                    "recipient": {"type": "string"},
                    "role": {"type": "string", "enum": list(Delivery.Role.values)},
                    "address": {"type": "string"},
                    "route": {"type": "string"},
                    "language": {"type": "string"},
                    "status": {"type": "string", "enum": list(Delivery.Status.values)},
                    "reason_code": {"type": "string"},
                    "reason": {"type": "string"},
                    "attempts": {"type": "integer"},
                    "provider_message_id": {"type": "string", "description": "The provider's id (BizId, CallId)"},
                    "receipt_status": {
                        "type": "string",
                        "enum": list(Delivery.ReceiptStatus.values),
                        "description": "empty: no receipt expected; accepted: taken by the provider, no receipt yet",
                    },
                    "receipt_at": {"type": "string", "nullable": True},
                    "receipt_code": {"type": "string"},
                    "receipt_message": {"type": "string"},
                    "replaces": {"type": "integer", "nullable": True},
                    "fallback_path": {"type": "array", "items": {"type": "integer"}},
                },
            },
            "Warning": _WARNING,
            "AlertmanagerAccepted": {
                "type": "object",
                "required": ["accepted", "skipped", "warnings"],
                "properties": {
                    "accepted": {"type": "array", "items": {"type": "integer"}},
                    "skipped": {"type": "integer", "description": "resolved alerts not sent and repeats"},
                    "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/Warning"}},
                },
            },
            "Alert": {
                "type": "object",
                "required": ["id", "deliveries"],
                "properties": {
                    "id": {"type": "integer"},
                    "url": {"type": "string"},
                    "workspace": {"type": "string"},
                    "rule": {"type": "string"},
                    "title": {"type": "string"},
                    "content": {"type": "string"},
                    "severity": {"type": "string"},
                    "source": {"type": "string"},
                    "created_at": {"type": "string"},
                    "final": {"type": "boolean"},
                    "resolved": {"type": "boolean"},
                    "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/Warning"}},
                    "deliveries": {"type": "array", "items": {"$ref": "#/components/schemas/Delivery"}},
                },
            },
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/alerts": {
            "post": {
                "operationId": "createAlert",
                "summary": "Accept an alert",
                "description": "Bodies up to {api_bytes} bytes (413 above).",
                "parameters": [IDEMPOTENCY_KEY],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewAlert"}}},
                },
                "responses": {
                    "202": {
                        "description": "Accepted",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}},
                    },
                    **_COMMON_ERRORS,
                    "422": {
                        "description": "The Idempotency-Key was used before for a different body",
                        "content": _JSON_ERROR,
                    },
                },
            }
        },
        "/api/v1/alertmanager": {
            "post": {
                "operationId": "alertmanagerWebhook",
                "summary": "Prometheus Alertmanager webhook receiver",
                "description": "Each alert of the group becomes an alert to the receiver token's recipients "
                "and channels. "
                "Limits: {am_bytes} bytes and {am_alerts} alerts per notification (413 above them; "
                "set max_alerts in Alertmanager's webhook_config).",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/AlertmanagerNotification"}}
                    },
                },
                "responses": {
                    "202": {
                        "description": "Accepted",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/AlertmanagerAccepted"}}
                        },
                    },
                    **_COMMON_ERRORS,
                    "503": {
                        "description": "Stored only in part (the answer lists what was); send it again",
                        "content": _JSON_ERROR,
                    },
                },
            }
        },
        "/api/v1/receipts/aliyun/sms": _receipts_path("SmsReports", "Alibaba Cloud SMS delivery receipts"),
        "/api/v1/receipts/aliyun/voice": _receipts_path("VoiceReports", "Alibaba Cloud Voice call receipts"),
        "/api/v1/alerts/{alert_id}": {
            "get": {
                "operationId": "getAlert",
                "summary": "An alert and each of its deliveries",
                "parameters": [
                    {
                        "name": "alert_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The alert",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Alert"}}},
                    },
                    "401": {
                        "description": "No token, or an unknown or revoked one",
                        "content": {"application/json": {"schema": _ERROR}},
                    },
                    "404": {
                        "description": "No such alert in the token's workspace",
                        "content": {"application/json": {"schema": _ERROR}},
                    },
                    "429": _COMMON_ERRORS["429"],
                },
            }
        },
    },
}


def openapi_spec() -> JsonObject:
    """The document with this installation's limits written into it."""
    spec = copy.deepcopy(OPENAPI)
    limits = {
        "api_bytes": settings.API_MAX_BODY_BYTES,
        "am_bytes": settings.ALERTMANAGER_MAX_BODY_BYTES,
        "am_alerts": settings.ALERTMANAGER_MAX_ALERTS,
    }
    for path in spec["paths"].values():
        for operation in path.values():
            if "description" in operation:
                operation["description"] = operation["description"].format(**limits)
    return spec


@dataclass(frozen=True)
class SchemaError:
    """One refusal by a request schema: where, by which keyword, and the validator's own words."""

    field: str  # the body's property at fault, or "body" for the body as a whole
    where: str  # the rest of the path inside that property: "[0]", ".labels.a" (empty for the property)
    keyword: str  # the schema keyword that refused: "maxLength", "pattern", "enum" …
    message: str
    limit: int | None = None  # the bound of minLength, maxLength, minItems …
    pattern: str | None = None  # the pattern that did not match


@cache
def _validator(schema_name: str) -> Any:
    return jsonschema_rs.validator_for(REQUEST_BODIES[schema_name])


def schema_errors(schema_name: str, data: object) -> list[SchemaError]:
    """Every refusal of `data` by the request schema `schema_name` (empty when it is valid). Raises
    UnicodeEncodeError for text that is not valid Unicode, which the validator cannot read."""
    return [_schema_error(error) for error in _validator(schema_name).iter_errors(data)]


def _schema_error(error: Any) -> SchemaError:
    path = list(error.instance_path)
    return SchemaError(
        field=str(path[0]) if path else "body",
        where="".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[1:]),
        keyword=str(list(error.schema_path)[-1]),
        message=error.message,
        limit=getattr(error.kind, "limit", None),
        pattern=getattr(error.kind, "pattern", None),
    )


def request_errors(schema_name: str, data: object) -> dict[str, list[str]]:
    """{field: [messages]} for a request body against its schema, in the validator's own words (empty
    when the body is valid): what the API answers with a 400."""
    try:
        found = schema_errors(schema_name, data)
    except UnicodeEncodeError:
        return {"body": ["the body holds text that is not valid Unicode"]}
    errors: dict[str, list[str]] = {}
    for error in found[:20]:
        errors.setdefault(error.field, []).append(
            f"{error.field}{error.where}: {error.message}" if error.where else error.message
        )
    return errors
