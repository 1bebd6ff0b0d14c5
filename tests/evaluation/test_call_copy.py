"""A new call from an earlier one (competitions.call_copy, evaluation.call_copy): the
configuration is copied, track references re-pointed, the copy is a logged draft, and what
belongs to the earlier call (applications, notices, runs) stays there."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from competitions.call_copy import copy_call
from competitions.models import Call, CallContact, CallState, EligibilityRule, Question, QuestionSection
from evaluation.models import BonusRule, Criterion, EvaluationPlan, Stage
from tests.factories import ApplicationFactory, ServiceFieldFactory, TrackFactory, UserFactory


@pytest.fixture
def last_year(call, staff):
    """The evaluation call of the conftest, with a track rule, questions, a contact, a stage
    and an application."""
    track = call.tracks.get()
    EligibilityRule.objects.create(call=call, track=track, kind="lead_is_sme", params={}, position=1)
    EligibilityRule.objects.create(
        call=call, kind="required_documents", params={"kinds": ["proposal"]}, position=2
    )
    section = QuestionSection.objects.create(call=call, title="Test bed", title_ko="실증지", position=1)
    Question.objects.create(call=call, section=section, code="site", kind="yes_no", label="Secured?")
    CallContact.objects.create(call=call, department="Smart City", person="Kim", updated_by=staff)
    plan = call.evaluation_plan
    stage = Stage.objects.create(plan=plan, position=1, name="Documents", cutoff=Decimal("60"))
    Criterion.objects.filter(plan=plan).update(stage=stage)
    ApplicationFactory(call=call, track=track)
    return call


def copy_of(source, staff, slug="pilot-2027"):
    now = timezone.now()
    return copy_call(
        source,
        slug=slug,
        title="Pilot 2027",
        title_ko="실증 2027",
        opens_at=now + timedelta(days=30),
        closes_at=now + timedelta(days=60),
        by=staff,
    )


def test_the_copy_takes_the_configuration_and_not_the_applications(last_year, staff):
    copy = copy_of(last_year, staff)
    assert copy.state == CallState.DRAFT and copy.copied_from == last_year
    assert (copy.max_awards, copy.budget_total, copy.subsidy_max) == (
        last_year.max_awards,
        last_year.budget_total,
        last_year.subsidy_max,
    )
    assert [t.name for t in copy.tracks.all()] == ["SME-led"]
    assert copy.tracks.get() != last_year.tracks.get()
    assert sorted((f.name, f.max_awards) for f in copy.service_fields.all()) == [
        ("Mobility", 2),
        ("Safety", 2),
    ]
    track_rule = EligibilityRule.objects.get(call=copy, kind="lead_is_sme")
    assert track_rule.track == copy.tracks.get()  # re-pointed to the copy of its track
    assert EligibilityRule.objects.get(call=copy, kind="required_documents").track is None
    question = Question.objects.get(call=copy)
    assert question.section.call == copy and question.section.title_ko == "실증지"
    assert CallContact.objects.get(call=copy).person == "Kim"
    assert copy.applications.count() == 0 and last_year.applications.count() == 1


def test_the_evaluation_plan_is_copied_with_its_stages_and_criteria(last_year, staff):
    copy = copy_of(last_year, staff)
    plan = EvaluationPlan.objects.get(call=copy)
    source_plan = last_year.evaluation_plan
    assert plan.pk != source_plan.pk and plan.cutoff == source_plan.cutoff
    [stage] = Stage.objects.filter(plan=plan)
    assert stage.name == "Documents" and stage.cutoff == Decimal("60")
    criteria = list(Criterion.objects.filter(plan=plan))
    assert len(criteria) == source_plan.criteria.count()
    assert all(c.stage == stage for c in criteria)
    assert sum(c.max_points for c in criteria) == 100
    assert BonusRule.objects.filter(plan=plan).count() == source_plan.bonus_rules.count()


def test_the_copy_is_logged_with_who_and_from_where(last_year, staff):
    copy = copy_of(last_year, staff)
    entry = LogEntry.objects.get(object_id=str(copy.pk), content_type__model="call")
    assert entry.user == staff and last_year.slug in entry.change_message


def test_a_taken_slug_or_a_backward_window_creates_nothing(last_year, staff):
    before = Call.objects.count()
    with pytest.raises(ValidationError):
        copy_of(last_year, staff, slug=last_year.slug)
    now = timezone.now()
    with pytest.raises(ValidationError):
        copy_call(last_year, slug="x", title="X", opens_at=now, closes_at=now - timedelta(days=1), by=staff)
    assert Call.objects.count() == before
    assert EvaluationPlan.objects.count() == 1


def test_only_staff_copy_a_call(last_year, role_groups):
    with pytest.raises(PermissionDenied):
        copy_of(last_year, UserFactory())


def test_the_staff_page_copies_and_keeps_what_was_typed_on_error(client, last_year, staff):
    client.force_login(staff)
    url = reverse("competitions:copy_call", args=[last_year.slug])
    assert "Pilot" in client.get(url).content.decode() or client.get(url).status_code == 200
    data = {
        "slug": last_year.slug,
        "title": "Typed title",
        "title_ko": "",
        "opens_at": "2027-03-02T09:00",
        "closes_at": "2027-04-10T18:00",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "Typed title" in response.content.decode()
    assert "already exists" in response.content.decode()
    response = client.post(url, {**data, "slug": "pilot-2027"})
    assert response.status_code == 302
    copy = Call.objects.get(slug="pilot-2027")
    assert timezone.localtime(copy.opens_at).hour == 9  # Asia/Seoul


def test_a_second_service_field_keeps_its_quota(call, staff):
    ServiceFieldFactory(call=call, name="Energy", max_awards=1)
    TrackFactory(call=call, name="Living lab", max_awards=2)
    copy = copy_of(call, staff)
    assert copy.service_fields.get(name="Energy").max_awards == 1
    assert copy.tracks.get(name="Living lab").max_awards == 2
