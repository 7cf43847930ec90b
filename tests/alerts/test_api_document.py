"""The API's one schema per body and one guard (rules I1, I2, E1).

Validation and the OpenAPI document come from the same schemas (alerts/openapi.py). A few things
cannot come from a schema; each has a test here that keeps the document and the code in step:
intake's words for what the NewAlert schema refuses, alert_accept's keywords (the API hands it
the body as they are), the limits that answer 413, the Idempotency-Key header and the answers'
fields."""

import ast
import inspect
import json
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from alerts.api_tokens import api_token_create
from alerts.intake import ALERT_TEXTS, MAX_IDEMPOTENCY_KEY, alert_accept, alert_fields_check
from alerts.models import ApiToken
from alerts.openapi import NEW_ALERT, NO_NUL, NOT_BLANK, OPENAPI, column_length

ALERT = {"title": "Disk full", "recipients": ["alice", "ghost"], "channels": ["email"]}


def rules_of(schema):
    """(keyword, value) of every rule a property's schema sets, those inside allOf included."""
    found = []
    for keyword, value in schema.items():
        if keyword == "allOf":
            found += [rule for part in value for rule in rules_of(part)]
        elif keyword != "description":
            found.append((keyword, value))
    return found


def test_E1_intake_has_words_for_every_rule_the_schema_sets_on_an_alerts_text():
    """alert_accept checks an alert's text against the NewAlert schema and says what is wrong in
    the reader's language. A rule added to the schema without words in intake fails here."""
    breaking = {"maxLength": lambda limit: "x" * (limit + 1), "minLength": lambda limit: ""}
    breaking["pattern"] = lambda pattern: {NO_NUL: "a\x00b", NOT_BLANK: " "}[pattern]
    for name in ALERT_TEXTS:
        for keyword, value in rules_of(NEW_ALERT["properties"][name]):
            if keyword == "type":
                continue  # alert_accept takes text only
            errors = alert_fields_check(**{"title": "t", name: breaking[keyword](value)})
            assert list(errors) == [name], (name, keyword)
            assert all(str(message) for message in errors[name])


def test_E1_the_schema_limits_an_alerts_text_to_its_columns():
    properties = NEW_ALERT["properties"]
    assert [properties[name]["maxLength"] for name in ("title", "rule", "severity")] == [
        column_length(name) for name in ("title", "rule", "severity")
    ]


def test_I1_the_body_of_a_new_alert_is_alert_accepts_own_keywords():
    """The API hands the validated body to alert_accept as keywords: every property of NewAlert is
    one of them, the required ones are required there too, and none is one the API sets itself."""
    parameters = inspect.signature(alert_accept).parameters
    set_by_the_api = {"workspace", "source", "idempotency_key", "request_digest"}
    assert set(NEW_ALERT["properties"]) <= set(parameters) - set_by_the_api
    required = {name for name, p in parameters.items() if p.default is inspect.Parameter.empty}
    assert required - set_by_the_api == set(NEW_ALERT["required"])


@pytest.fixture
def tokens(ws):
    api = api_token_create(workspace=ws, name="monitoring")[1]
    receiver = api_token_create(
        workspace=ws, name="am", kind=ApiToken.Kind.ALERTMANAGER, recipients=["alice"], channels=["email"]
    )[1]
    return api, receiver


def post(client, path, token, body, **headers):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(
        path, data=data, content_type="application/json", headers={"Authorization": f"Bearer {token}", **headers}
    )


def test_I1_I2_E1_the_document_states_the_limits_that_answer_413(client, tokens, settings):
    settings.API_MAX_BODY_BYTES, settings.ALERTMANAGER_MAX_BODY_BYTES, settings.ALERTMANAGER_MAX_ALERTS = 300, 900, 2
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "300 bytes" in paths["/api/v1/alerts"]["post"]["description"]
    assert "900 bytes and 2 alerts" in paths["/api/v1/alertmanager"]["post"]["description"]
    api, receiver = tokens
    too_long = post(client, "/api/v1/alerts", api, {**ALERT, "content": "x" * 300})
    assert (too_long.status_code, too_long.json()["limit_bytes"]) == (413, 300)
    too_long = post(client, "/api/v1/alertmanager", receiver, {"version": "4", "alerts": [{"x": "x" * 900}]})
    assert (too_long.status_code, too_long.json()["limit_bytes"]) == (413, 900)
    too_many = post(client, "/api/v1/alertmanager", receiver, {"version": "4", "alerts": [{}, {}, {}]})
    assert (too_many.status_code, too_many.json()["limit_alerts"]) == (413, 2)


def test_I1_the_idempotency_key_is_as_long_as_the_document_says(client, tokens):
    (parameter,) = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/alerts"]["post"]["parameters"]
    limit = parameter["schema"]["maxLength"]
    assert parameter["name"] == "Idempotency-Key" and limit == MAX_IDEMPOTENCY_KEY == column_length("idempotency_key")
    body = {**ALERT, "recipients": ["alice"]}
    assert post(client, "/api/v1/alerts", tokens[0], body, **{"Idempotency-Key": "k" * limit}).status_code == 202
    refused = post(client, "/api/v1/alerts", tokens[0], body, **{"Idempotency-Key": "k" * (limit + 1)})
    assert refused.status_code == 400 and refused.json()["errors"] == {
        "Idempotency-Key": [f"at most {limit} characters"]
    }


def test_I1_I2_the_answers_have_the_fields_the_document_names(client, tokens, ws):
    schemas = OPENAPI["components"]["schemas"]
    api = tokens[0]
    created = post(client, "/api/v1/alerts", api, {**ALERT, "recipients": ["alice"]}).json()
    assert set(created) == set(schemas["Accepted"]["properties"])
    alert = client.get(created["url"], headers={"Authorization": f"Bearer {api}"}).json()
    assert set(alert) == set(schemas["Alert"]["properties"])
    assert set(alert["deliveries"][0]) == set(schemas["Delivery"]["properties"])
    receiver = api_token_create(
        workspace=ws, name="am2", kind=ApiToken.Kind.ALERTMANAGER, recipients=["alice", "bob"], channels=["email"]
    )[1]
    ws.memberships.filter(principal__name="alice").delete()  # skipped with a warning
    stored = post(client, "/api/v1/alertmanager", receiver, {"version": "4", "alerts": [{}]}).json()
    assert set(stored) == set(schemas["AlertmanagerAccepted"]["properties"])
    assert set(stored["warnings"][0]) == set(schemas["Warning"]["properties"])


def callers(path):
    """{called name: {names of the functions that call it}} for one module's source."""
    found = {}

    class Calls(ast.NodeVisitor):
        def __init__(self):
            self.where = ["<module>"]

        def visit_FunctionDef(self, node):
            self.where.append(node.name)
            self.generic_visit(node)
            self.where.pop()

        def visit_Call(self, node):
            name = ast.unparse(node.func)  # "json.loads", "request.read", "token_check" …
            for called in {name, name.rpartition(".")[2]}:
                found.setdefault(called, set()).add(self.where[-1])
            self.generic_visit(node)

    Calls().visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def test_I1_the_guard_is_the_only_code_that_reads_a_token_or_parses_a_body():
    root = Path(django_settings.BASE_DIR) / "alerts"
    elsewhere = {
        path.relative_to(root).as_posix(): {"json.loads", "api_token_authenticate", "read_json", "token_check"}
        & set(callers(path))
        for path in root.rglob("*.py")
        # The bench's framework floor (alerts/benchmarks/urls.py) is not served by the product.
        if path.name != "api.py" and "migrations" not in path.parts and "benchmarks" not in path.parts
    }
    assert {name: used for name, used in elsewhere.items() if used} == {}
    api = callers(root / "api.py")
    assert api["json.loads"] == {"read_json"} and api["api_token_authenticate"] == {"token_check"}
    assert api["read_json"] == api["token_check"] == {"wrapped"}  # inside api_endpoint
    assert api["bearer"] == {"token_check"} and api["read"] == {"read_json"}
