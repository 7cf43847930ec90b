"""The OpenAPI 3 description of the alert API, served at /api/v1/openapi.json, and the request
validation that comes from the same schemas: the server refuses exactly what the document refuses
(then checks what a schema cannot know, such as which recipients exist)."""

import copy

import jsonschema_rs
from django.conf import settings

# Text the databases can store: no NUL (lone surrogates cannot be encoded at all and are refused
# before the schema is consulted).
_NO_NUL = "^[^\\x00]*$"
_TEXT = {"type": "string", "pattern": _NO_NUL}
# Something other than white space, as Python's str.strip() sees it (which includes \x1c-\x1f).
_NOT_BLANK = "[^\\s\\x1c-\\x1f]"

_ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "errors": {"type": "object"}},
    "required": ["error"],
}
_NAME = {"type": "string", "minLength": 1, "maxLength": 200, "allOf": [{"pattern": _NO_NUL}, {"pattern": _NOT_BLANK}]}
_STRINGS = {"type": "array", "items": _NAME}
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

OPENAPI = {
    "openapi": "3.0.3",
    "info": {
        "title": "Alert Contacts API",
        "version": "1.0.0",
        "description": "Hand alerts to a workspace; read each delivery's status, reason and fallback path.",
    },
    "servers": [{"url": "/"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": _ERROR,
            "NewAlert": {
                "type": "object",
                "additionalProperties": False,
                "required": ["title", "recipients", "channels"],
                "properties": {
                    "rule": {**_TEXT, "maxLength": 200},
                    "title": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 200,
                        "allOf": [{"pattern": _NO_NUL}, {"pattern": _NOT_BLANK}],
                    },
                    "content": _TEXT,
                    "severity": {**_TEXT, "maxLength": 20},
                    "recipients": {**_STRINGS, "minItems": 1, "description": "RAM user login names, or role:RoleName"},
                    "channels": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "enum": ["email", "sms", "voice", "webhook"]},
                    },
                },
            },
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
                    "role": {"type": "string", "enum": ["primary", "alternate", "account", "workspace"]},
                    "address": {"type": "string"},
                    "route": {"type": "string"},
                    "language": {"type": "string"},
                    "status": {
                        "type": "string",
                        "enum": ["READY_TO_SEND", "SEND_SUCCESS", "SEND_FAIL", "SEND_OVERLIMIT"],
                    },
                    "reason_code": {"type": "string"},
                    "reason": {"type": "string"},
                    "attempts": {"type": "integer"},
                    "replaces": {"type": "integer", "nullable": True},
                    "fallback_path": {"type": "array", "items": {"type": "integer"}},
                },
            },
            "Warning": _WARNING,
            "AlertmanagerNotification": {
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
            },
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
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "description": "A retried POST with the same key (in this workspace) returns the first alert",
                        "schema": {"type": "string", "maxLength": 200},
                    }
                ],
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


def openapi_spec():
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


_VALIDATORS = {}


def request_errors(schema_name, data):
    """{field: [messages]} for `data` against a request schema of the document (empty when valid)."""
    validator = _VALIDATORS.get(schema_name)
    if validator is None:
        validator = _VALIDATORS[schema_name] = jsonschema_rs.validator_for(
            OPENAPI["components"]["schemas"][schema_name]
        )
    errors = {}
    try:
        found = list(validator.iter_errors(data))
    except UnicodeEncodeError:
        return {"body": ["the body holds text that is not valid Unicode"]}
    for error in found[:20]:
        path = list(error.instance_path)
        field = str(path[0]) if path else "body"
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[1:])
        errors.setdefault(field, []).append(f"{field}{where}: {error.message}" if where else error.message)
    return errors
