"""Property-based checks of every endpoint against the OpenAPI spec: bad input is a 4xx, never a 500."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from tests.api.fakes import FakeAssistant
from tradesentinel.api.deps import get_optional_assistant
from tradesentinel.app import create_app

KEY = "test-key"
REFERENCE_CHECKED = {"/anomalies", "/cases", "/watch"}
"""Operations whose country and HS parameters are checked against the reference lists (ISO 3166, HS 2022),
which the spec states as patterns: a well-formed code nobody uses (AAA) is rightly a 422 there."""


@pytest.fixture(scope="module")
def api_schema(scored_world, tmp_path_factory):
    keyed = scored_world.model_copy(
        update={"api_key": KEY, "db_url": f"sqlite:///{tmp_path_factory.mktemp('db')}/t.db"}
    )
    app = create_app(keyed, ui=False)
    app.dependency_overrides[get_optional_assistant] = FakeAssistant
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_every_operation_conforms_to_the_spec(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/anomalies", "/anomalies/{flow_id}/explain", "/ask", "/health"}
    for operation in operations:
        check = _check(operation, [positive_data_acceptance] if operation.path in REFERENCE_CHECKED else [])
        check()


def _check(operation, skip):
    """A property test of one operation, leaving out the `skip` checks."""

    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case) -> None:
        case.call_and_validate(headers={"X-API-Key": KEY}, excluded_checks=skip)

    return check
