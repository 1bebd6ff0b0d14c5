"""schemathesis against the API's own schema, through the WSGI app, with every role's token.

Each operation is fuzzed (a few examples, no deadline) with the tokens of an applicant, a
member of another organisation, ministry staff, an auditor and a reviewer (assigned in a call
of neither organisation): no answer is a 5xx, every
answer conforms to the schema (status, content type, body), and no body an applicant gets
names an object of another organisation. Then every read operation is called with the ids of
real objects of both organisations: the other organisation's answer 404."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.roles import Role
from competitions.models import CallState
from config.wsgi import application as wsgi_app
from evaluation.assigning import assign_reviewers
from evaluation.generate import system_user
from evaluation.models import Assignment
from projects.models import Organisation
from tests.evaluation.conftest import eligible_applications, evaluation_call, make_reviewers
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    TrackFactory,
    UserFactory,
    selected_in_a_confirmed_run,
    signed_project,
)

from .conftest import token_for

pytestmark = pytest.mark.django_db(transaction=False)

EXAMPLES = 4


@pytest.fixture
def wsgi_in_test_transaction():
    """The app called directly, in the test's transaction: Django must not close the test's
    database connection at the end of each request (as its own test client arranges)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield wsgi_app
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(draft, applicant, stranger, role_groups, monkeypatch, asked):
    from rest_framework.throttling import SimpleRateThrottle

    # Fuzzing is not a flood: throttling has its own test (test_api.py).
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "100000/min", "user": "100000/min"})
    staff = UserFactory(email="officer@gongmo.example", roles=[Role.STAFF])
    auditor = UserFactory(email="auditor@gongmo.example", roles=[Role.AUDITOR])
    other_org = Organisation.objects.get(memberships__user=stranger)
    other_call = CallFactory(slug="other-call", state=CallState.PUBLISHED)
    TrackFactory(call=other_call, max_awards=3)
    other_application = ApplicationFactory(call=other_call, lead=other_org, created_by=stranger)
    selected = selected_in_a_confirmed_run(other_application, by=staff, reference="OTHER-0001")
    project = signed_project(selected, by=staff)
    # A reviewer with an active assignment in a call under review (of neither organisation).
    review_call = evaluation_call("fuzz-review", "FZ26")
    eligible_applications(review_call, 1)
    make_reviewers(review_call, 5, prefix="fuzz")
    assign_reviewers(review_call, by=system_user(), seed=1)
    reviewer = Assignment.objects.filter(state="active").select_related("reviewer__user").first().reviewer
    return {
        "tokens": {
            "applicant": token_for(applicant),
            "stranger": token_for(stranger),
            "staff": token_for(staff),
            "auditor": token_for(auditor, scope="read"),
            "reviewer": token_for(reviewer.user),
        },
        "own": {"organisation": draft.lead_id, "application": draft.pk},
        "other": {"organisation": other_org.pk, "application": other_application.pk, "project": project.code},
        "call": draft.call.slug,
        # Path parameters naming real objects: the applicant's own, then the other organisation's.
        "paths": [
            {"id": draft.pk, "slug": draft.call.slug, "code": project.code, "number": 1, "member": 1},
            {
                "id": other_application.pk,
                "slug": other_call.slug,
                "code": project.code,
                "number": 1,
                "member": 1,
            },
        ],
    }


def _ids_in(body, key):
    """Every value of ``key`` anywhere in a JSON body."""
    found = []
    if isinstance(body, dict):
        for name, value in body.items():
            if name == key and isinstance(value, int):
                found.append(value)
            found.extend(_ids_in(value, key))
    elif isinstance(body, list):
        for item in body:
            found.extend(_ids_in(item, key))
    return found


def _body(response):
    try:
        return json.loads(response.content)
    except (ValueError, AttributeError):
        return None


CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


def test_every_operation_with_every_role(world, wsgi_in_test_transaction):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_in_test_transaction)
    own_orgs = {world["own"]["organisation"]}
    operations = [result.ok() for result in schema.get_all_operations()]
    # Calls, organisations, applications with their workflow actions (consortium, corrections,
    # outcomes, objections), consortium requests, objections, reviews, projects.
    assert len(operations) >= 40

    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def fuzz(case):
            calls = [(role, token, None) for role, token in world["tokens"].items()]
            if case.path_parameters:
                # The same request on real objects too: the applicant's own, another's.
                calls += [
                    (role, token, real) for role, token in world["tokens"].items() for real in world["paths"]
                ]
            for role, token, real in calls:
                if real is not None:
                    case.path_parameters = {name: real[name] for name in case.path_parameters}
                response = case.call(headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
                assert response.status_code < 500, (
                    role,
                    case.method,
                    case.formatted_path,
                    response.content[:500],
                )
                case.validate_response(response, checks=CHECKS)
                if role in ("applicant", "stranger") and real is not None and response.status_code < 300:
                    # A 2xx on a real object: only ever the caller's own organisation's.
                    own = real["id"] == world["own"]["application"]
                    assert (role == "applicant") == own or "/calls/" in case.operation.path, (
                        role,
                        case.formatted_path,
                    )
                if role == "reviewer" and response.status_code < 300:
                    # Assigned in another call: nothing of either organisation's applications.
                    body = json.dumps(_body(response))
                    assert world["other"]["project"] not in body and "OTHER-0001" not in body, (
                        case.formatted_path
                    )
                if role == "applicant" and response.status_code < 300:
                    body = _body(response)
                    leads = set(_ids_in(body, "lead"))
                    assert leads <= own_orgs, (case.formatted_path, body)
                    assert world["other"]["project"] not in json.dumps(body)

        fuzz()


def test_another_organisations_objects_are_never_reachable(world, wsgi_in_test_transaction):
    from rest_framework.test import APIClient

    client = APIClient()
    other, own = world["other"], world["own"]
    paths = [
        f"/api/v1/applications/{other['application']}/",
        f"/api/v1/organisations/{other['organisation']}/",
        f"/api/v1/projects/{other['project']}/",
        f"/api/v1/projects/{other['project']}/ledger/",
    ]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {world['tokens']['applicant']}")
    for path in paths:
        assert client.get(path).status_code in (403, 404), path
    for action in (
        "submit",
        "withdraw",
        "resubmit",
        "accept",
        "decline",
        "objections",
        "members",
        "correction/funding-plan",
        "correction/answers",
    ):
        assert client.post(f"/api/v1/applications/{other['application']}/{action}/").status_code == 404, (
            action
        )
    for read in ("members", "objections", "correction"):
        assert client.get(f"/api/v1/applications/{other['application']}/{read}/").status_code == 404, read
    listed = client.get("/api/v1/applications/").json()["results"]
    assert [row["id"] for row in listed] == [own["application"]]
    assert [row["id"] for row in client.get("/api/v1/organisations/").json()["results"]] == [
        own["organisation"]
    ]
    # The other way round: the stranger reaches its own and never the applicant's.
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {world['tokens']['stranger']}")
    assert client.get(f"/api/v1/applications/{own['application']}/").status_code == 404
    assert client.get(f"/api/v1/organisations/{own['organisation']}/").status_code == 404
    assert client.get(f"/api/v1/applications/{other['application']}/").status_code == 200
    # Auditors read the project and its ledger; staff too.
    for role in ("auditor", "staff"):
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {world['tokens'][role]}")
        assert client.get(f"/api/v1/projects/{other['project']}/ledger/").status_code == 200
