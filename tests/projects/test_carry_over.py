"""Stage-1 carry-over (projects.carry_over): a lead selected in the preliminary stage starts its
main-stage draft from the preliminary application. What is carried, what is not, each refusal,
and that nothing of stage 1 changes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused
from competitions.models import (
    CallState,
    Question,
    QuestionSection,
    ServiceType,
    SmartService,
    TechnologyField,
)
from projects import carry_over, duplicates, indicators
from projects.models import (
    Answer,
    Application,
    ApplicationState,
    ConsortiumMember,
    Document,
    Indicator,
    IndicatorSettings,
    OutboxMessage,
)
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    OrganisationFactory,
    ServiceFieldFactory,
    TrackFactory,
    UserFactory,
)
from tests.projects.conftest import attach

TRACK = "Local government with private consortium"


def _question(call, code, kind, **extra):
    section, _ = QuestionSection.objects.get_or_create(call=call, title="Plan", defaults={"position": 1})
    return Question.objects.create(call=call, section=section, code=code, kind=kind, label=code, **extra)


@pytest.fixture
def preliminary(db):
    now = timezone.now()
    call = CallFactory(
        slug="challenge-pre",
        reference_prefix="SCP",
        state=CallState.RESULTS_PUBLISHED,
        opens_at=now - timedelta(days=90),
        closes_at=now - timedelta(days=60),
    )
    TrackFactory(call=call, name=TRACK, max_awards=4)
    ServiceFieldFactory(call=call, name="Mobility", max_awards=4)
    _question(call, "problem", "long_text")
    _question(call, "citizens", "number")
    _question(call, "budget-note", "short_text")
    _question(call, "site-plan", "file", document_kind="other")
    _question(
        call, "partner", "single_choice", choices=[{"code": "a", "label": "A"}, {"code": "b", "label": "B"}]
    )
    return call


@pytest.fixture
def main_stage(preliminary):
    now = timezone.now()
    call = CallFactory(
        slug="challenge-main",
        reference_prefix="SCM",
        state=CallState.PUBLISHED,
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=20),
        previous_stage=preliminary,
    )
    TrackFactory(call=call, name=TRACK, max_awards=2)
    ServiceFieldFactory(call=call, name="Mobility", max_awards=2)
    _question(call, "problem", "long_text", max_value=Decimal(50))  # a shorter limit than stage 1
    _question(call, "citizens", "number")
    _question(call, "budget-note", "amount")  # the same code, another kind: not carried
    _question(call, "site-plan", "file", document_kind="other")
    _question(call, "partner", "single_choice", choices=[{"code": "a", "label": "A"}])
    IndicatorSettings.objects.create(call=call, min_indicators=1, project_years=3)
    return call


@pytest.fixture
def city(applicant):
    return OrganisationFactory(owners=[applicant], name="Busan Metropolitan City", kind="local_government")


@pytest.fixture
def selected(preliminary, city, applicant):
    """The city's preliminary application, selected: with services, answers, indicators, a
    consortium of three (accepted, pending, declined) and two documents."""
    application = ApplicationFactory(
        call=preliminary,
        lead=city,
        created_by=applicant,
        title="Busan eco-delta mobility",
        summary="Demand-responsive shuttles for the eco-delta city.",
        service_field=preliminary.service_fields.get(),
        requested_subsidy=1_500_000_000,
        local_government=1_500_000_000,
        private_cash=0,
        private_in_kind=0,
    )
    application.smart_services.set(SmartService.objects.all()[:2])
    application.technology_fields.set(TechnologyField.objects.all()[:1])
    application.service_types.set(ServiceType.objects.all()[:1])
    questions = {q.code: q for q in preliminary.questions.all()}
    Answer.objects.create(
        application=application, question=questions["problem"], value="Few buses.", updated_by=applicant
    )
    Answer.objects.create(
        application=application, question=questions["citizens"], value="12000", updated_by=applicant
    )
    Answer.objects.create(
        application=application, question=questions["budget-note"], value="Half", updated_by=applicant
    )
    Answer.objects.create(
        application=application, question=questions["partner"], value="b", updated_by=applicant
    )
    plan = attach(application, "other", applicant, name="site-plan.pdf")
    Answer.objects.create(
        application=application, question=questions["site-plan"], document=plan, updated_by=applicant
    )
    attach(application, "proposal", applicant)
    indicators.save_indicators(
        application,
        [indicators.IndicatorRow(None, "Riders", "이용자 수", "persons", Decimal(0), {1: Decimal(5000)})],
        by=applicant,
    )
    for state, share in [("accepted", "20.00"), ("pending", "10.00"), ("declined", "5.00")]:
        member = ConsortiumMember.objects.create(
            application=application,
            organisation=OrganisationFactory(name=f"Partner {state}"),
            budget_share_percent=Decimal(share),
            state=state,
        )
        member.organisation.memberships.create(
            user=UserFactory(
                email=f"{state}@partner.example", language="en" if state == "accepted" else "ko"
            ),
            role="owner",
        )
    Application.objects.filter(pk=application.pk).update(
        state=ApplicationState.SELECTED, reference="SCP-0001"
    )
    return Application.objects.get(pk=application.pk)


def _snapshot(application):
    application = Application.objects.get(pk=application.pk)
    return (
        application.state,
        application.title,
        application.version,
        application.updated_at,
        sorted(application.answers.values_list("pk", "value", "document_id")),
        sorted(application.consortium_members.values_list("pk", "state")),
        sorted(application.indicators.values_list("pk", "removed")),
        application.documents.count(),
    )


def test_carry_over_copies_what_the_main_stage_takes(selected, main_stage, applicant):
    before = _snapshot(selected)
    done = carry_over.carry_over(selected, main_stage, by=applicant)
    draft = Application.objects.get(pk=done.application.pk)

    assert (draft.call, draft.state, draft.carried_from) == (main_stage, ApplicationState.DRAFT, selected)
    assert (draft.title, draft.summary, draft.lead) == (selected.title, selected.summary, selected.lead)
    assert draft.track == main_stage.tracks.get() and draft.service_field == main_stage.service_fields.get()
    assert (draft.requested_subsidy, draft.local_government) == (1_500_000_000, 1_500_000_000)
    for name in carry_over.MANY_FIELDS:
        assert set(getattr(draft, name).all()) == set(getattr(selected, name).all())
        assert getattr(draft, name).exists()

    # Answers: the number carried; the text too long for the new limit, the changed kind and the
    # choice the new question lacks left for the applicant; the file answer not carried.
    answers = {a.question.code: a.value for a in draft.answers.select_related("question")}
    assert answers == {"problem": "Few buses.", "citizens": "12000"}
    assert all(a.question.call_id == main_stage.pk for a in draft.answers.all())
    assert sorted(done.skipped_answers) == ["budget-note", "partner"]

    # Indicators: proposed again for the main stage (the same targets, owned by the draft).
    [indicator] = indicators.current(draft)
    assert (indicator.name, indicator.name_ko, indicator.unit) == ("Riders", "이용자 수", "persons")
    assert list(indicator.targets.values_list("year", "target")) == [(1, Decimal(5000))]
    assert Indicator.objects.filter(application=selected).count() == 1

    # Members asked again, each pending, the one who declined not asked; each told by e-mail.
    members = {m.organisation.name: (m.state, m.budget_share_percent) for m in draft.consortium_members.all()}
    assert members == {
        "Partner accepted": ("pending", Decimal("20.00")),
        "Partner pending": ("pending", Decimal("10.00")),
    }
    # Each in their own language, whatever the lead's.
    told = dict(OutboxMessage.objects.values_list("to", "subject"))
    assert set(told) == {"accepted@partner.example", "pending@partner.example"}
    assert told["accepted@partner.example"].startswith(f"{selected.lead.name} asks Partner accepted to join")
    assert "컨소시엄" in told["pending@partner.example"]
    assert (done.answers, done.members, done.indicators) == (2, 2, 1)

    # Files keep their own records with stage 1; the draft starts without documents.
    assert draft.documents.count() == 0
    assert Document.objects.filter(application=selected).count() == 2
    # Nothing of stage 1 changed, and the draft's history says where it came from, and who.
    assert _snapshot(selected) == before
    log = StateLog.objects.for_(draft).get()
    assert (log.transition, log.by) == ("carry_over", applicant)
    assert "SCP-0001" in log.description


def test_a_member_the_lead_withdrew_is_not_carried_over(selected, main_stage, applicant):
    withdrawn = ConsortiumMember.objects.create(
        application=selected,
        organisation=OrganisationFactory(name="Partner withdrawn"),
        budget_share_percent=Decimal("5.00"),
        state=ConsortiumMember.State.WITHDRAWN,
    )
    done = carry_over.carry_over(selected, main_stage, by=applicant)
    names = set(done.application.consortium_members.values_list("organisation__name", flat=True))
    assert names == {"Partner accepted", "Partner pending"}
    assert ConsortiumMember.objects.get(pk=withdrawn.pk).state == ConsortiumMember.State.WITHDRAWN


def test_targets_beyond_the_main_stage_years_are_left_out(selected, main_stage, applicant):
    IndicatorSettings.objects.filter(call=main_stage).update(project_years=1)
    indicator = indicators.current(selected).get()
    indicator.targets.create(year=2, target=Decimal(9000))
    draft = carry_over.carry_over(selected, main_stage, by=applicant).application
    assert list(indicators.current(draft).get().targets.values_list("year", flat=True)) == [1]


@pytest.mark.parametrize("state", ["not_selected", "reserve", "eliminated", "submitted", "declined"])
def test_refused_when_the_lead_was_not_selected(selected, main_stage, applicant, state):
    Application.objects.filter(pk=selected.pk).update(state=state)
    with pytest.raises(TransitionRefused, match="was not selected"):
        carry_over.carry_over(Application.objects.get(pk=selected.pk), main_stage, by=applicant)
    assert not Application.objects.filter(call=main_stage).exists()


def test_an_awarded_stage_one_application_may_continue(selected, main_stage, applicant):
    Application.objects.filter(pk=selected.pk).update(state=ApplicationState.AWARDED)
    assert carry_over.carry_over(selected, main_stage, by=applicant).application.call == main_stage


def test_refused_when_a_main_stage_application_exists(selected, main_stage, applicant):
    carry_over.carry_over(selected, main_stage, by=applicant)
    with pytest.raises(TransitionRefused, match="already has an application"):
        carry_over.carry_over(selected, main_stage, by=applicant)
    other = ApplicationFactory(call=main_stage, lead=OrganisationFactory(), title="Other")
    assert Application.objects.filter(call=main_stage).count() == 2
    # One started by hand counts the same; a withdrawn one does not.
    Application.objects.filter(call=main_stage, lead=selected.lead).update(state=ApplicationState.WITHDRAWN)
    assert carry_over.carry_over(selected, main_stage, by=applicant).application != other


def test_refused_for_a_call_that_is_not_the_next_stage(selected, open_call, applicant):
    with pytest.raises(TransitionRefused, match="is not the next stage"):
        carry_over.carry_over(selected, open_call, by=applicant)


def test_refused_after_the_main_stage_closed(selected, main_stage, applicant):
    main_stage.__class__.objects.filter(pk=main_stage.pk).update(
        closes_at=timezone.now() - timedelta(minutes=1)
    )
    main_stage = main_stage.__class__.objects.get(pk=main_stage.pk)
    with pytest.raises(TransitionRefused, match="Reception closed"):
        carry_over.carry_over(selected, main_stage, by=applicant)
    assert not Application.objects.filter(call=main_stage).exists()


def test_refused_to_someone_outside_the_lead(selected, main_stage, stranger):
    with pytest.raises(PermissionDenied):
        carry_over.carry_over(selected, main_stage, by=stranger)
    assert not Application.objects.filter(call=main_stage).exists()


def test_the_duplicate_check_does_not_flag_the_stage_it_continues(selected, main_stage, applicant):
    """Same title and summary and a selected (pending) stage-1 application: not a duplicate of
    itself. Another lead's copy of the text still is."""
    duplicates._index(selected, duplicates.proposal_buckets(selected))
    draft = carry_over.carry_over(selected, main_stage, by=applicant).application
    assert duplicates.find_duplicates(draft) == []
    copy = ApplicationFactory(
        call=selected.call, title=selected.title, summary=selected.summary, state=ApplicationState.DRAFT
    )
    Application.objects.filter(pk=copy.pk).update(state=ApplicationState.SUBMITTED, reference="SCP-0002")
    duplicates._index(copy, duplicates.proposal_buckets(copy))
    found = duplicates.find_duplicates(draft)
    assert [(f.kind, f.other_application.pk) for f in found] == [("similar_text", copy.pk)]


# --- The pages ---------------------------------------------------------------------------------


def test_the_apply_page_and_the_application_offer_to_continue(client, selected, main_stage, applicant):
    client.force_login(applicant)
    page = client.get(reverse("projects:application_start", args=[main_stage.slug])).content.decode()
    assert "Continue from the preliminary stage" in page and f'name="from" value="{selected.pk}"' in page
    detail = client.get(reverse("projects:application_detail", args=[selected.pk])).content.decode()
    assert reverse("projects:application_carry_over", args=[main_stage.slug]) in detail

    response = client.post(
        reverse("projects:application_carry_over", args=[main_stage.slug]), {"from": selected.pk}
    )
    draft = Application.objects.get(call=main_stage)
    assert response.status_code == 302 and response.url == reverse(
        "projects:application_detail", args=[draft.pk]
    )
    shown = client.get(response.url).content.decode()
    assert "SCP-0001" in shown and "must accept again" in shown
    # Once continued, neither page offers it again.
    page = client.get(reverse("projects:application_start", args=[main_stage.slug])).content.decode()
    assert f'name="from" value="{selected.pk}"' not in page
    detail = client.get(reverse("projects:application_detail", args=[selected.pk])).content.decode()
    assert reverse("projects:application_carry_over", args=[main_stage.slug]) not in detail


def test_staff_see_where_a_main_stage_application_came_from(
    client, selected, main_stage, applicant, role_groups
):
    from tests.factories import StaffFactory

    draft = carry_over.carry_over(selected, main_stage, by=applicant).application
    client.force_login(StaffFactory())
    page = client.get(reverse("projects:staff_application", args=[draft.pk])).content.decode()
    assert reverse("projects:staff_application", args=[selected.pk]) in page and "SCP-0001" in page


def test_the_page_shows_the_refusal_and_changes_nothing(client, selected, main_stage, applicant):
    Application.objects.filter(pk=selected.pk).update(state=ApplicationState.NOT_SELECTED)
    client.force_login(applicant)
    response = client.post(
        reverse("projects:application_carry_over", args=[main_stage.slug]), {"from": selected.pk}, follow=True
    )
    assert "was not selected" in response.content.decode()
    assert not Application.objects.filter(call=main_stage).exists()
    assert (
        "Continue from the preliminary stage"
        not in client.get(reverse("projects:application_start", args=[main_stage.slug])).content.decode()
    )


def test_a_stranger_gets_404_and_bad_ids_too(client, selected, main_stage, stranger):
    client.force_login(stranger)
    url = reverse("projects:application_carry_over", args=[main_stage.slug])
    assert client.post(url, {"from": selected.pk}).status_code == 404
    assert client.post(url, {"from": "x1"}).status_code == 404
    assert client.get(url).status_code == 405
    assert not Application.objects.filter(call=main_stage).exists()


def test_korean_refusal(client, selected, main_stage, applicant):
    Application.objects.filter(pk=selected.pk).update(state=ApplicationState.NOT_SELECTED)
    client.force_login(applicant)
    response = client.post(
        reverse("projects:application_carry_over", args=[main_stage.slug]),
        {"from": selected.pk},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    assert "선정되지 않았" in response.content.decode()
