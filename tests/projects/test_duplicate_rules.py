"""The duplicate-funding check as eligibility rules a call may configure
(no_active_project_in_field, max_concurrent_projects): the facts come from the database in bulk,
and each rule passes or fails with its reason."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from competitions.models import EligibilityRule, ServiceField
from projects.eligibility_check import check_eligibility, check_many, with_eligibility_data
from projects.models import Application, Project
from tests.factories import CallFactory, OrganisationFactory, ServiceFieldFactory

from .test_duplicates import UNRELATED, funded, member, submitted

pytestmark = pytest.mark.django_db


def with_rules(call, *rules):
    for position, (kind, params) in enumerate(rules, start=1):
        EligibilityRule.objects.create(call=call, kind=kind, params=params, position=position)
    return call


def result(application, kind):
    [found] = [r for r in check_eligibility(application) if r.kind == kind]
    return found


def applying(lead, field_name="Mobility", call=None):
    call = call or with_rules(
        CallFactory(state="published"),
        ("no_active_project_in_field", {}),
        ("max_concurrent_projects", {"max_projects": 2}),
    )
    field = ServiceField.objects.filter(call=call, name=field_name).first() or ServiceFieldFactory(
        call=call, name=field_name
    )
    return submitted(call=call, lead=lead, service_field=field, summary=UNRELATED, title="New pilot")


def test_a_lead_with_a_running_project_in_the_same_field_fails_with_the_project_named():
    lead = OrganisationFactory(name="Nuri Mobility")
    project = funded(lead, field_name="Mobility")
    found = result(applying(lead), "no_active_project_in_field")
    assert not found.passed
    assert found.reason == (
        f"Nuri Mobility takes part in the running project {project.code} (Mobility) "
        "in the same service field “Mobility”."
    )


def test_a_project_in_another_field_or_settled_passes():
    lead = OrganisationFactory()
    funded(lead, field_name="Safety")
    settled = funded(lead, field_name="Mobility")
    Project.objects.filter(pk=settled.pk).update(state="settled")
    found = result(applying(lead), "no_active_project_in_field")
    assert found.passed
    assert "“Mobility”" in found.reason


def test_a_consortium_member_running_a_project_in_the_field_fails_the_application():
    partner = OrganisationFactory(name="Daehan Corp.")
    funded(partner, field_name="Mobility")
    application = applying(OrganisationFactory())
    assert result(application, "no_active_project_in_field").passed
    member(application, partner)
    failed = result(application, "no_active_project_in_field")
    assert not failed.passed
    assert failed.reason.startswith("Daehan Corp. takes part in the running project")


def test_concurrent_projects_count_every_running_project_as_lead_or_member():
    lead = OrganisationFactory(name="Busy City")
    first = funded(lead, field_name="Energy")
    assert result(applying(lead), "max_concurrent_projects").passed  # 1 running + this one = 2
    # The lead is also an accepted member of another organisation's running project.
    other = funded(OrganisationFactory(), field_name="Safety")
    member(other.award.application, lead)
    found = result(applying(lead), "max_concurrent_projects")
    assert not found.passed
    assert found.reason.startswith("Busy City already takes part in 2 running national projects (")
    assert first.code in found.reason and other.code in found.reason
    assert "exceed the limit of 2" in found.reason


def test_the_application_s_own_project_is_not_counted_against_it():
    lead = OrganisationFactory()
    project = funded(lead, field_name="Mobility")
    own = Application.objects.get(pk=project.award.application_id)
    call = with_rules(
        own.call, ("no_active_project_in_field", {}), ("max_concurrent_projects", {"max_projects": 1})
    )
    assert call.pk == own.call_id
    assert all(
        r.passed
        for r in check_eligibility(own)
        if r.kind in ("no_active_project_in_field", "max_concurrent_projects")
    )


def test_the_facts_are_gathered_in_a_constant_number_of_queries(django_assert_max_num_queries):
    call = with_rules(
        CallFactory(state="published"),
        ("no_active_project_in_field", {}),
        ("max_concurrent_projects", {"max_projects": 1}),
    )
    leads = [OrganisationFactory() for _n in range(2)]
    for lead in leads:
        funded(lead)
    for lead in leads:
        member(applying(lead, call=call), OrganisationFactory())

    def run_page():
        page = list(with_eligibility_data(Application.objects.filter(call=call)))
        return check_many(page)

    with CaptureQueriesContext(connection) as few:
        results = run_page()
    assert all(not r.passed for rs in results.values() for r in rs if r.kind == "max_concurrent_projects")
    for lead in [OrganisationFactory() for _n in range(4)]:
        funded(lead)
        member(applying(lead, call=call), OrganisationFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        results = run_page()
    assert len(results) == 6
    assert all(not r.passed for rs in results.values() for r in rs if r.kind == "no_active_project_in_field")


def test_calls_without_these_rules_read_no_projects(django_assert_max_num_queries):
    lead = OrganisationFactory()
    funded(lead)
    plain = applying(lead, call=CallFactory(state="published"))
    with_projects = applying(lead)
    with CaptureQueriesContext(connection) as plain_queries:
        check_eligibility(plain)
    with CaptureQueriesContext(connection) as rule_queries:
        check_eligibility(with_projects)
    assert len(rule_queries.captured_queries) == len(plain_queries.captured_queries) + 1
