"""Schemathesis as a real client of the API: it reads the OpenAPI schema the site serves and
sends what the schema allows (and what it does not), through the site's own WSGI application.
No response is a server error, and every response matches the schema: its status, its content
type and its body."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from approvals.models import Filing
from approvals.tests.factories import CampaignFactory, filing_in, return_in

from .conftest import token_for

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_key(db, reviewer, department, other_department, monkeypatch):
    """A reviewer who also files for a department: every operation is open to them."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"user": "100000/minute", "anon": "100000/minute"}
    )
    department.filers.add(reviewer)
    for state in (Filing.State.DRAFT, Filing.State.SUBMITTED, Filing.State.REGISTERED):
        filing_in(state, department=department)
    filing_in(Filing.State.DRAFT, department=other_department)
    campaign = CampaignFactory(is_active=True)
    return_in("handed_in", campaign=campaign, department=department)
    return token_for(reviewer)


@pytest.fixture
def api_schema(api_key):
    # The site's own handler, inside this test's transaction: like Django's test client, leave
    # the connection open between requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            "/api/schema/",
            WSGIHandler(),
            headers={
                "Authorization": f"Token {api_key}",
                "Accept": "application/vnd.oai.openapi+json",
            },
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_answers_as_its_schema_says(api_schema, api_key, mode):
    """Every operation, with data its schema allows (positive) and data it forbids (negative).

    The operations are walked here with each one's Hypothesis strategy: schemathesis' own
    pytest plug-in reads a node attribute that pytest 9 no longer has."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 12
    headers = {"Authorization": f"Token {api_key}"}
    fuzzed = []
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=20,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except Unsatisfiable:
            # Nothing the schema forbids can be generated for an operation whose only parameter
            # is its id (GET /api/returns/{id}/ and the other detail reads).
            if mode is GenerationMode.POSITIVE:
                raise
            continue
        fuzzed.append(operation.label)
    assert len(fuzzed) >= len(operations) // 2, fuzzed
