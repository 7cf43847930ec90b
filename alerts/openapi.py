"""The OpenAPI 3 description of the alert API, served at /api/v1/openapi.json."""

_ERROR = {"type": "object", "properties": {"error": {"type": "string"}, "errors": {"type": "object"}}, "required": ["error"]}
_STRINGS = {"type": "array", "items": {"type": "string"}}

OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Alert Contacts API", "version": "1.0.0",
             "description": "Hand alerts to a workspace; read each delivery's status, reason and fallback path."},
    "servers": [{"url": "/"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": _ERROR,
            "NewAlert": {
                "type": "object", "additionalProperties": False, "required": ["title", "recipients", "channels"],
                "properties": {
                    "rule": {"type": "string"}, "title": {"type": "string", "minLength": 1, "maxLength": 200},
                    "content": {"type": "string"}, "severity": {"type": "string"},
                    "recipients": {**_STRINGS, "minItems": 1, "description": "RAM user login names, or role:RoleName"},
                    "channels": {"type": "array", "minItems": 1,
                                 "items": {"type": "string", "enum": ["email", "sms", "voice", "webhook"]}},
                },
            },
            "Accepted": {"type": "object", "required": ["id", "url"],
                         "properties": {"id": {"type": "integer"}, "url": {"type": "string"}}},
            "Delivery": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"}, "channel": {"type": "string"}, "recipient": {"type": "string"},
                    "role": {"type": "string", "enum": ["primary", "alternate", "account", "workspace"]},
                    "address": {"type": "string"}, "route": {"type": "string"}, "language": {"type": "string"},
                    "status": {"type": "string", "enum": ["READY_TO_SEND", "SEND_SUCCESS", "SEND_FAIL", "SEND_OVERLIMIT"]},
                    "reason_code": {"type": "string"}, "reason": {"type": "string"}, "attempts": {"type": "integer"},
                    "replaces": {"type": "integer", "nullable": True},
                    "fallback_path": {"type": "array", "items": {"type": "integer"}},
                },
            },
            "Alert": {
                "type": "object", "required": ["id", "deliveries"],
                "properties": {
                    "id": {"type": "integer"}, "url": {"type": "string"}, "workspace": {"type": "string"},
                    "rule": {"type": "string"}, "title": {"type": "string"}, "content": {"type": "string"},
                    "severity": {"type": "string"}, "source": {"type": "string"}, "created_at": {"type": "string"},
                    "final": {"type": "boolean"},
                    "deliveries": {"type": "array", "items": {"$ref": "#/components/schemas/Delivery"}},
                },
            },
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/alerts": {
            "post": {
                "operationId": "createAlert", "summary": "Accept an alert",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 200}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewAlert"}}}},
                "responses": {
                    "202": {"description": "Accepted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}},
                    "400": {"description": "Bad input, each bad field named", "content": {"application/json": {"schema": _ERROR}}},
                    "401": {"description": "No token, or an unknown or revoked one", "content": {"application/json": {"schema": _ERROR}}},
                },
            }
        },
        "/api/v1/alerts/{alert_id}": {
            "get": {
                "operationId": "getAlert", "summary": "An alert and each of its deliveries",
                "parameters": [{"name": "alert_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}],
                "responses": {
                    "200": {"description": "The alert", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Alert"}}}},
                    "401": {"description": "No token, or an unknown or revoked one", "content": {"application/json": {"schema": _ERROR}}},
                    "404": {"description": "No such alert in the token's workspace", "content": {"application/json": {"schema": _ERROR}}},
                },
            }
        },
    },
}
