"""schemathesis against `/openapi.json` of a real `headwater serve` (issue 15): for requests
generated from the document itself, the server never answers 5xx, never a status the
document does not list, and its bodies match the schemas the document declares.

Bounded for CI: a fixed seed (`derandomize`), a few examples per operation and generation
mode (valid and invalid data), no shrinking. One server per metadata database (SQLite,
PostgreSQL), authenticated as the admin. Every operation runs, and every failing one is
reported, before the test fails.

(schemathesis' own pytest integration for a server started by a fixture,
`schemathesis.pytest.from_fixture`, breaks on pytest 9.2: it sets `Function._nodeid`, which
pytest no longer has. So each operation's strategy is driven with Hypothesis directly, as
schemathesis documents for `as_strategy`.)

Excluded, and only that: `DELETE /api/data/v1/accesstokens/{token_id}`, which would revoke
the caller's own token (id 1) and leave every later request a 401. Deleting the admin is
not excluded: the server refuses to delete the caller (409, documented).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.conftest import Server

pytestmark = pytest.mark.e2e

TOKEN = "hw_e2e-fuzz-admin"
EXAMPLES = 5  # per operation and generation mode: ~110 operations, a couple of minutes
# What the issue asks, and only that: a 4xx for data the schema allows (a NUL, a name over
# 255 characters, an id nothing has) is the server keeping its rules, not a failure.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXCLUDED = {("DELETE", "/api/data/v1/accesstokens/{token_id}")}


def load_schema(server: Server) -> schemathesis.BaseSchema:
    config = schemathesis.Config()
    project = config.projects.get_default()
    project.update(
        base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, request_timeout=30
    )
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json", config=config)


def test_the_server_keeps_to_its_openapi_document(server_factory: type[Server]) -> None:
    # An ingress into a paused pipeline would wait for it to run; a fuzzer never resumes it.
    server = server_factory(admin_token=TOKEN, HEADWATER_PIPELINES__INGRESS_WAIT_SECONDS="0")
    server.start()
    schema = load_schema(server)
    failures: list[str] = []
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in EXCLUDED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def call(case: schemathesis.Case) -> None:
                case.call_and_validate(checks=CHECKS)

            try:
                call()
            except Unsatisfiable:
                continue  # no invalid request exists for an operation that takes nothing
            except (Exception, BaseExceptionGroup) as exc:  # every one is reported, then fail
                failures.append(f"{operation.label} ({mode.value}):\n{exc}")
        ran += 1
    assert ran > 100
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)
