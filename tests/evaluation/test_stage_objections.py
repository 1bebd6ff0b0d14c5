"""Advancement and elimination are told, and an elimination may be objected to (DESIGN.md §3
"Stages", "Objections"): confirming an advancement run e-mails each applicant in its own
language, with the margin in the result letter's words; an eliminated applicant objects within
the window; upheld, it goes on to the next stage (logged, recorded, reviewers of that stage), and
dismissed, nothing changes."""

from datetime import timedelta

import pytest
from django.utils import translation
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused
from evaluation import objections
from evaluation.models import Assignment, Objection, Panel, Reinstatement
from evaluation.result_letters import elimination_margin
from evaluation.stage_runs import confirm_advancement, current_stages, record_advancement
from projects.models import Application, ApplicationState, Membership, OutboxMessage
from tests.evaluation.conftest import make_reviewers
from tests.evaluation.test_stage_runs import staged  # noqa: F401 (fixture)
from tests.factories import UserFactory


def owner_of(application, language="en"):
    owner = UserFactory(language=language)
    Membership.objects.create(user=owner, organisation=application.lead, role="owner")
    return owner


@pytest.fixture
def confirmed(call, staff, staged):  # noqa: F811
    document, presentation, applications, _reviewers = staged
    owners = [owner_of(a, "ko" if n == 3 else "en") for n, a in enumerate(applications)]
    run = record_advancement(document, by=staff)
    OutboxMessage.objects.all().delete()
    confirm_advancement(run, by=staff)
    return document, presentation, applications, owners


def test_each_applicant_is_told_it_advanced_or_was_eliminated_in_its_language(confirmed):
    _document, _presentation, applications, owners = confirmed
    mails = {m.to: m for m in OutboxMessage.objects.all()}
    advanced = mails[owners[0].email]
    assert advanced.subject == f"{applications[0].reference} advanced to Presentation"
    assert "passed Document review and advanced to Presentation" in advanced.body
    assert "You will be told the time of your slot when it is scheduled." in advanced.body
    # The fourth was eliminated; its owner reads Korean, with the margin as the letter words it.
    eliminated = mails[owners[3].email]
    assert "발표평가" not in eliminated.subject
    assert "서면평가에서 탈락했습니다: 분야 4건 중 4위로, 상위 3건이 다음 단계에 올랐고" in eliminated.body
    fifth = mails[owners[4].email]
    assert "Eliminated at Document review: 5.00 points below the cutoff (60.00)." in fifth.body
    assert "You may object within 10 days of this notice" in fifth.body
    assert Application.objects.get(pk=applications[4].pk).notified_at is not None


def test_a_refused_confirmation_tells_nobody(call, staff, staged):  # noqa: F811
    from evaluation.models import Review

    document, _presentation, applications, _reviewers = staged
    owner_of(applications[0])
    run = record_advancement(document, by=staff)
    Review.objects.filter(application=applications[3]).update(total=95)
    OutboxMessage.objects.all().delete()
    with pytest.raises(TransitionRefused):
        confirm_advancement(run, by=staff)
    assert not OutboxMessage.objects.exists()


def test_one_wording_for_the_margin_in_the_letter_and_the_notice(confirmed):
    _document, _presentation, applications, owners = confirmed
    from evaluation.models import AdvancementResult

    result = AdvancementResult.objects.get(application=applications[4])
    with translation.override("en"):
        assert elimination_margin(result) in OutboxMessage.objects.get(to=owners[4].email).body


def test_an_upheld_objection_to_an_elimination_sends_it_on_to_the_next_stage(call, staff, confirmed):
    _document, presentation, applications, owners = confirmed
    eliminated = Application.objects.get(pk=applications[3].pk)
    assert eliminated.objection_deadline == eliminated.notified_at + timedelta(days=10)
    members = make_reviewers(call, 5, prefix="committee")
    committee = Panel.objects.create(call=call, stage=presentation, name="Presentation committee")
    committee.reviewers.add(*members)
    objection = objections.file_objection(eliminated, by=owners[3], grounds="Our pilot data was ignored.")
    assert objection.outcome == ApplicationState.ELIMINATED
    objections.decide_objection(objection, by=staff, uphold=True, decision="The committee misread the data.")

    eliminated = Application.objects.get(pk=eliminated.pk)
    assert eliminated.state == ApplicationState.UNDER_REVIEW
    assert Objection.objects.get(pk=objection.pk).state == Objection.State.UPHELD
    assert Reinstatement.objects.get(objection=objection).stage.position == 1
    assert current_stages(call, [eliminated.pk])[eliminated.pk] == presentation
    log = StateLog.objects.get(object_id=str(eliminated.pk), transition="reinstate")
    assert log.description == "Objection upheld: goes on to Presentation. The committee misread the data."
    new = Assignment.objects.filter(application=eliminated, stage=presentation, state="active")
    assert new.count() == presentation.reviews_per_application
    assert {a.reviewer_id for a in new} <= {m.pk for m in members}
    # Its document review stays on record as it was: the correction is the reinstatement.
    assert eliminated.advancement_results.get().outcome == "eliminated"


def test_a_dismissed_objection_to_an_elimination_changes_nothing(call, staff, confirmed):
    _document, _presentation, applications, owners = confirmed
    objection = objections.file_objection(applications[4], by=owners[4], grounds="Too strict.")
    objections.decide_objection(objection, by=staff, uphold=False, decision="The scores stand.")
    assert Application.objects.get(pk=applications[4].pk).state == ApplicationState.ELIMINATED
    assert not Reinstatement.objects.exists()
    assert not Assignment.objects.filter(application=applications[4], stage__position=2).exists()


def test_an_objection_to_an_elimination_after_the_window_is_refused(confirmed):
    _document, _presentation, applications, owners = confirmed
    eliminated = Application.objects.get(pk=applications[4].pk)
    late = eliminated.notified_at + timedelta(days=10, seconds=1)
    with pytest.raises(TransitionRefused) as refused:
        objections.file_objection(eliminated, by=owners[4], grounds="Too strict.", now=late)
    assert refused.value.reasons[0].startswith("The objection period ended at ")
    assert not Objection.objects.exists()


def test_an_advanced_application_cannot_object(confirmed):
    _document, _presentation, applications, owners = confirmed
    with pytest.raises(TransitionRefused) as refused:
        objections.file_objection(applications[0], by=owners[0], grounds="x")
    assert "“not advanced to the next stage”" in refused.value.reasons[0]
