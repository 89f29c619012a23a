"""API fuzzing from the OpenAPI schema (schemathesis): every operation, every persona, valid
and invalid requests — no server error, and every error a JSON {detail, code} (#10 item 4).

Bounded and derandomised so that `make test` stays fast and repeatable: FUZZ_EXAMPLES
requests per operation, persona and mode (set MINZHENG_FUZZ_EXAMPLES to fuzz longer).
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlencode

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core import NotSet

from .conftest import PERSONAS

FUZZ_EXAMPLES = int(os.environ.get("MINZHENG_FUZZ_EXAMPLES", "8"))


def _send(client: Client, case) -> object:
    query = f"?{urlencode(case.query, doseq=True)}" if case.query else ""
    path = case.formatted_path + query
    if isinstance(case.body, NotSet) or case.method.upper() == "GET":
        return client.generic(case.method.upper(), path)
    body = case.body if isinstance(case.body, str | bytes) else json.dumps(case.body)
    return client.generic(case.method.upper(), path, body, content_type="application/json")


def _fuzz(client: Client, operation, mode: GenerationMode, failures: list[str]) -> int:
    """Send FUZZ_EXAMPLES generated requests of one operation; note every wrong answer."""
    sent = 0

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode))
    def run(case) -> None:
        nonlocal sent
        sent += 1
        response = _send(client, case)
        where = f"{case.method} {case.formatted_path} {mode.value}"
        if response.status_code >= 500:
            failures.append(f"{where}: {response.status_code}")
        elif response.status_code >= 400 and response.status_code != 405:
            body = response.json()
            if not (isinstance(body.get("detail"), str) and body.get("code")):
                failures.append(f"{where}: {response.status_code} without detail/code")

    run()
    return sent


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_generated_request_gets_a_server_error(verify_settings, everyone, persona):
    from minzheng.api.router import api

    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    client = Client(raise_request_exception=False)
    if everyone[persona] is not None:
        client.force_login(everyone[persona])
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    sent = sum(
        _fuzz(client, operation, mode, failures)
        for operation in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    )
    assert sent >= 2 * len(operations)
    assert failures == []
