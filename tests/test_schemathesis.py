"""Generated requests against /api/v1/openapi.json (schemathesis, in-process WSGI): never a 5xx.

Schemathesis's own pytest plugin does not load under this pytest, so the test drives its
strategies with hypothesis directly: each API operation gets a bounded number of examples.
"""

from __future__ import annotations

import re

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.conftest import household_body

EXAMPLES = 25


def test_no_generated_request_gets_a_server_error(app, client, api):
    client.post("/api/v1/households", json=household_body(), headers=api)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    failures: list[str] = []
    statuses: list[int] = []
    for operation in operations:
        exercise(operation, api, failures, statuses)
    assert failures == []
    assert len(statuses) >= 5 * len(operations)
    assert {200, 400, 404} <= set(statuses)  # the generated requests reach real answers


def exercise(operation, headers: dict, failures: list[str], statuses: list[int]) -> None:
    """Send generated requests to one operation; note any 5xx or malformed error."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        response = case.call(headers=headers)
        statuses.append(response.status_code)
        if response.status_code >= 500:
            failures.append(case.as_curl_command())
        elif response.status_code >= 400 and set(response.json()) != {"error", "fields", "code"}:
            failures.append("bad error shape: " + case.as_curl_command())

    run()


# Hostile inputs the generator does not make (issue 13): each must get a 4xx in the one shape.
HOSTILE_BODIES = {
    "lone surrogate": b'{"given_name": "a\\ud800b", "members": [{"given_name": "x\\udfff"}],'
    b' "note": "\\ud800", "category": "minor", "count": 1}',
    "5,000-digit integer": b'{"count": ' + b"9" * 5000 + b', "members": [{"age_years": 1}]}',
    "deep nesting": b'{"members": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "not UTF-8": b'{"given_name": "\xff\xfe\xfa", "members": []}',
    "NaN": b'{"count": NaN, "members": [{"age_years": Infinity}]}',
}
HOSTILE_QUERIES = ["9" * 5000, "%ED%A0%80", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14"]


def test_hostile_bodies_and_queries_get_a_4xx_in_the_one_shape(app, client, api):
    made = client.post("/api/v1/households", json=household_body(), headers=api).json
    values = {"code": made["members"][0]["code"], "fmt": "svg", "user_id": "u", "token_id": "t"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, refused = [], 0
    for operation in (result.ok() for result in schema.get_all_operations()):
        path = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x"), operation.path)
        path = path if path.startswith("/api/v1") else "/api/v1" + path
        sent = []
        if any(body.media_type == "application/json" for body in operation.body):
            for name, raw in HOSTILE_BODIES.items():
                answer = client.open(path, method=operation.method.upper(), data=raw,
                                     content_type="application/json", headers=api)  # fmt: skip
                sent.append((name, answer))
                refused += answer.status_code == 400 and answer.json["code"] == "invalid_json"
        for param in operation.query:
            for value in HOSTILE_QUERIES:
                answer = client.open(f"{path}?{param.name}={value}",
                                     method=operation.method.upper(), headers=api)  # fmt: skip
                sent.append((f"{param.name}={value[:20]}", answer))
        for name, answer in sent:
            shape = answer.is_json and set(answer.json or {}) == {"error", "fields", "code"}
            if answer.status_code >= 500 or (answer.status_code >= 400 and not shape):
                failures.append(f"{operation.method} {path} {name}: {answer.status_code}")
    assert failures == []
    assert refused >= 5 * 10, "every JSON body operation refused every hostile body"
