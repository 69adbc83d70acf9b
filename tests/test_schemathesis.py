"""Generated requests against /api/v1/openapi.json (schemathesis, in-process WSGI): never a 5xx.

Schemathesis's own pytest plugin does not load under this pytest, so the test drives its
strategies with hypothesis directly: each API operation gets a bounded number of examples.
"""

from __future__ import annotations

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
