"""The duplicate-funding check (중복성 검토): each kind of finding on constructed cases, none on
unrelated ones; found at submission and on demand; cleared only with a reason; staff only."""

from datetime import date, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog
from hypothesis import given, settings
from hypothesis import strategies as st

from competitions.lifecycle import TransitionRefused
from competitions.models import SmartService, SmartServiceArea
from projects import duplicates, workflow
from projects.models import (
    Application,
    ApplicationState,
    ConsortiumMember,
    DuplicateFinding,
    FindingKind,
    FindingState,
    ProposalBucket,
    Sanction,
)
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    OrganisationFactory,
    ServiceFieldFactory,
    StaffFactory,
    UserFactory,
    reception_closed,
    selected_in_a_confirmed_run,
    signed_project,
)

from .conftest import attach

pytestmark = pytest.mark.django_db

PROPOSAL = (
    "An autonomous shuttle connects the Haeundae beach to the subway station every ten minutes, "
    "with a remote control centre, passenger counting cameras and a booking app for wheelchair "
    "users, verified for twelve months with the district office and the local bus cooperative."
)
UNRELATED = (
    "A flood warning network of river level sensors sends alerts to residents of low-lying "
    "streets by text message and drives the pumps of three underground car parks in Changwon."
)


def submitted(call=None, lead=None, title="Shuttle pilot", summary=PROPOSAL, **extra):
    application = ApplicationFactory(
        call=call or CallFactory(state="published"),
        lead=lead or OrganisationFactory(),
        title=title,
        summary=summary,
        state=ApplicationState.SUBMITTED,
        reference=f"DUP-{Application.objects.count() + 1:04d}",
        submitted_at=timezone.now(),
        **extra,
    )
    return application


def indexed(application):
    duplicates._index(application, duplicates.proposal_buckets(application))
    return application


def kinds(application):
    return sorted(f.kind for f in duplicates.find_duplicates(application))


def member(application, organisation, state="accepted"):
    return ConsortiumMember.objects.create(
        application=application, organisation=organisation, budget_share_percent=10, state=state
    )


# --- The text index ------------------------------------------------------------------------------


def test_near_identical_text_under_another_organisation_is_found_with_score_and_passages():
    first = indexed(submitted(title="Haeundae shuttle"))
    copy = submitted(
        title="Haeundae shuttle",
        summary=PROPOSAL.replace("twelve months", "one year"),
        call=CallFactory(state="published"),
    )
    found = duplicates.find_duplicates(copy)
    assert [f.kind for f in found] == [FindingKind.SIMILAR_TEXT]
    assert found[0].other_application == first
    assert 0.8 <= found[0].score < 1
    assert any("remote control centre passenger counting cameras" in p for p in found[0].passages)
    assert first.reference in found[0].evidence


def test_unrelated_text_is_not_found():
    indexed(submitted(summary=UNRELATED, title="Flood warning"))
    assert kinds(submitted()) == []


def test_the_text_check_reads_only_the_index_candidates(django_assert_max_num_queries):
    for _n in range(30):
        indexed(submitted(summary=UNRELATED + f" Variant {_n} with its own words {_n * 7}."))
    application = submitted()
    buckets = duplicates.proposal_buckets(application)
    with django_assert_max_num_queries(1):
        assert duplicates.similar_proposals(application, buckets) == []


def test_a_draft_is_not_a_candidate():
    draft = ApplicationFactory(summary=PROPOSAL, title="Shuttle pilot")
    indexed(draft)
    assert kinds(submitted()) == []


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.sampled_from(["alpha", "beta", "gamma", "delta", "river", "sensor", "bus", "shuttle", "app"]),
        min_size=0,
        max_size=40,
    )
)
def test_minhash_agrees_with_itself_and_identical_texts_share_every_band(words):
    text = " ".join(words)
    first = duplicates.proposal_buckets(Application(title="", summary=text))
    second = duplicates.proposal_buckets(Application(title="", summary=text))
    assert first == second
    assert len(first) == (duplicates.BANDS if words else 0)


# --- Projects, pending applications, sanctions ------------------------------------------------------


def funded(lead, field_name="Mobility", services=()):
    staff = StaffFactory()
    call = CallFactory(state="published")
    field = ServiceFieldFactory(call=call, name=field_name)
    application = ApplicationFactory(
        call=call, lead=lead, service_field=field, title="Earlier project", summary=UNRELATED
    )
    application.smart_services.set(services)
    selected_in_a_confirmed_run(application, by=staff, reference=f"OLD-{application.pk:04d}")
    return signed_project(Application.objects.get(pk=application.pk), by=staff)


def test_an_active_project_of_the_lead_in_the_same_field_is_found():
    lead = OrganisationFactory()
    project = funded(lead)
    call = CallFactory(state="published")
    application = submitted(
        call=call, lead=lead, service_field=ServiceFieldFactory(call=call, name="Mobility")
    )
    found = duplicates.find_duplicates(application)
    assert [(f.kind, f.other_project) for f in found] == [(FindingKind.PROJECT, project)]
    assert project.code in found[0].evidence


def test_a_project_of_a_consortium_member_sharing_a_smart_service_is_found():
    partner = OrganisationFactory()
    service = SmartService.objects.create(
        name="Autonomous shuttle test", area=SmartServiceArea.objects.create(name="Mobility test")
    )
    funded(partner, field_name="Safety", services=[service])
    call = CallFactory(state="published")
    application = submitted(call=call, service_field=ServiceFieldFactory(call=call, name="Mobility"))
    application.smart_services.set([service])
    member(application, partner)
    assert kinds(application) == [FindingKind.PROJECT]


def test_a_project_in_another_field_or_of_another_organisation_is_not_found():
    lead = OrganisationFactory()
    funded(lead, field_name="Safety")
    funded(OrganisationFactory(), field_name="Mobility")
    call = CallFactory(state="published")
    application = submitted(
        call=call, lead=lead, service_field=ServiceFieldFactory(call=call, name="Mobility")
    )
    assert kinds(application) == []


def test_a_project_long_settled_is_not_found():
    lead = OrganisationFactory()
    project = funded(lead)
    type(project).objects.filter(pk=project.pk).update(state="closed", ends_on=date(2020, 1, 31))
    call = CallFactory(state="published")
    application = submitted(
        call=call, lead=lead, service_field=ServiceFieldFactory(call=call, name="Mobility")
    )
    assert kinds(application) == []


def test_other_pending_applications_of_the_lead_or_a_member_in_any_call_are_found():
    lead, partner = OrganisationFactory(), OrganisationFactory()
    own = submitted(lead=lead, summary=UNRELATED, title="Flood")
    partners = submitted(lead=partner, summary=UNRELATED + " Changwon pumps.", title="Pumps")
    submitted(lead=OrganisationFactory(), summary="Something else entirely", title="Other")  # unrelated
    withdrawn = ApplicationFactory(lead=lead, state=ApplicationState.INELIGIBLE)  # decided: not pending
    application = submitted(lead=lead)
    member(application, partner)
    found = duplicates.find_duplicates(application)
    assert sorted(f.other_application.pk for f in found) == sorted([own.pk, partners.pk])
    assert {f.kind for f in found} == {FindingKind.PENDING_APPLICATION}
    assert withdrawn.pk not in [f.other_application.pk for f in found]


def test_a_pending_member_does_not_count_until_accepted():
    partner = OrganisationFactory()
    submitted(lead=partner, summary=UNRELATED, title="Flood")
    application = submitted()
    member(application, partner, state="pending")
    assert kinds(application) == []


def test_sanction_history_is_found_even_when_it_has_ended():
    lead = OrganisationFactory()
    Sanction.objects.create(
        organisation=lead, starts_on=date(2020, 1, 1), ends_on=date(2022, 12, 31), reason="Misused subsidy"
    )
    found = duplicates.find_duplicates(submitted(lead=lead))
    assert [f.kind for f in found] == [FindingKind.SANCTION]
    assert "Misused subsidy" in found[0].evidence
    assert kinds(submitted()) == []


# --- At submission and on demand ------------------------------------------------------------------


def eligible_draft(call, **extra):
    user = UserFactory()
    application = ApplicationFactory(
        call=call, lead=OrganisationFactory(owners=[user]), created_by=user, **extra
    )
    attach(application, "proposal", user)
    attach(application, "business_registration", user, name="certificate.pdf")
    return application, user


def test_submission_records_findings_and_indexes_the_proposal(open_call, django_capture_on_commit_callbacks):
    """The check runs once the submission has committed (a worker's task; eager here)."""
    first, first_user = eligible_draft(open_call, title="Shuttle", summary=PROPOSAL)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(first, by=first_user)
    assert ProposalBucket.objects.filter(application=first).count() == duplicates.BANDS
    assert not DuplicateFinding.objects.filter(application=first).exists()

    copy, user = eligible_draft(open_call, title="Shuttle", summary=PROPOSAL)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(copy, by=user)
    finding = DuplicateFinding.objects.get(application=copy)
    assert (finding.kind, finding.other_application_id, finding.state) == (
        FindingKind.SIMILAR_TEXT,
        first.pk,
        FindingState.OPEN,
    )
    assert finding.score == 1.0
    # The task run twice (a worker's retry) stores nothing new and keeps one index.
    duplicates.check_after_submission(copy.pk)
    assert DuplicateFinding.objects.filter(application=copy).count() == 1
    assert ProposalBucket.objects.filter(application=copy).count() == duplicates.BANDS


def test_a_submission_does_not_wait_for_the_check_and_a_lost_check_is_swept(
    open_call, django_capture_on_commit_callbacks
):
    first, first_user = eligible_draft(open_call, title="Shuttle", summary=PROPOSAL)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(first, by=first_user)
    copy, user = eligible_draft(open_call, title="Shuttle", summary=PROPOSAL)
    # The broker lost the task: the submission stands, unchecked for now.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workflow.submit(copy, by=user)
    assert len(callbacks) == 1  # one task: the receipt's outbox, then the check
    assert (
        Application.objects.get(pk=copy.pk).state == "submitted"
        and not DuplicateFinding.objects.filter(application=copy).exists()
    )
    # The sweep leaves it to its task for a grace period, then checks it, once.
    assert duplicates.check_unchecked(now=timezone.now()) == 0
    later = timezone.now() + duplicates.UNCHECKED_GRACE + timedelta(seconds=1)
    assert duplicates.check_unchecked(now=later) == 1
    assert DuplicateFinding.objects.get(application=copy).kind == FindingKind.SIMILAR_TEXT
    assert duplicates.check_unchecked(now=later) == 0
    # A withdrawn or draft application is never checked.
    draft, _user = eligible_draft(open_call, title="Shuttle", summary=PROPOSAL)
    assert duplicates.check_after_submission(draft.pk) == 0
    assert not ProposalBucket.objects.filter(application=draft).exists()
    assert Application.objects.get(pk=draft.pk).duplicates_checked_at is None


def test_a_proposal_without_words_is_checked_once_and_never_starves_the_sweep(
    open_call, django_capture_on_commit_callbacks, monkeypatch
):
    """A title and summary with no words index nothing; once checked, the sweep leaves it, and
    the sweep takes the oldest unchecked first (the many unindexable cannot hold back the rest)."""
    later = timezone.now() + duplicates.UNCHECKED_GRACE + timedelta(seconds=1)
    wordless, user = eligible_draft(open_call, title="?!", summary="— … ·")
    with django_capture_on_commit_callbacks(execute=False):
        workflow.submit(wordless, by=user)
    assert duplicates.proposal_buckets(Application.objects.get(pk=wordless.pk)) == []
    assert duplicates.check_unchecked(now=later) == 1
    checked = Application.objects.get(pk=wordless.pk)
    assert checked.duplicates_checked_at is not None
    assert not ProposalBucket.objects.filter(application=wordless).exists()
    assert duplicates.check_unchecked(now=later) == 0, "checked once, not at every sweep"

    words, user = eligible_draft(open_call, title="Shuttle", summary=PROPOSAL)
    with django_capture_on_commit_callbacks(execute=False):
        workflow.submit(words, by=user)
    first = Application.objects.get(pk=words.pk).duplicates_checked_at
    assert first is None
    monkeypatch.setattr(duplicates, "UNCHECKED_BATCH", 1)
    assert duplicates.check_unchecked(now=later) == 1
    assert Application.objects.get(pk=words.pk).duplicates_checked_at is not None
    assert ProposalBucket.objects.filter(application=words).count() == duplicates.BANDS


def test_a_submission_withdrawn_before_its_check_leaves_the_sweep(
    open_call, django_capture_on_commit_callbacks
):
    """Withdrawn before its check ran, it is never checked, so the sweep must not take it up at
    every run (oldest first, it would stand before every later submission)."""
    later = timezone.now() + duplicates.UNCHECKED_GRACE + timedelta(seconds=1)
    withdrawn, user = eligible_draft(open_call, title="Shuttle", summary=PROPOSAL)
    with django_capture_on_commit_callbacks(execute=False):
        workflow.submit(withdrawn, by=user)
    workflow.withdraw(Application.objects.get(pk=withdrawn.pk), by=user, reason="Plans changed.")
    assert Application.objects.submitted().filter(pk=withdrawn.pk).exists(), "it was submitted"
    assert duplicates.check_unchecked(now=later) == 0
    assert duplicates.check_unchecked(now=later) == 0
    assert not ProposalBucket.objects.filter(application=withdrawn).exists()


def test_staff_run_adds_only_new_findings():
    staff = StaffFactory()
    lead = OrganisationFactory()
    application = submitted(lead=lead)
    assert duplicates.run_check(application, by=staff) == []
    Sanction.objects.create(
        organisation=lead, starts_on=date(2021, 1, 1), ends_on=date(2021, 6, 30), reason="Late"
    )
    assert [f.kind for f in duplicates.run_check(application, by=staff)] == [FindingKind.SANCTION]
    assert duplicates.run_check(application, by=staff) == []
    assert DuplicateFinding.objects.filter(application=application).count() == 1


def test_only_staff_run_or_decide():
    lead = OrganisationFactory()
    Sanction.objects.create(
        organisation=lead, starts_on=date(2021, 1, 1), ends_on=date(2021, 6, 30), reason="Late"
    )
    application = submitted(lead=lead)
    (finding,) = duplicates.run_check(application, by=StaffFactory())
    applicant = UserFactory()
    with pytest.raises(PermissionDenied):
        duplicates.run_check(application, by=applicant)
    with pytest.raises(PermissionDenied):
        duplicates.clear_finding(finding, by=applicant, reason="fine")
    finding.refresh_from_db()
    assert finding.state == FindingState.OPEN


# --- Decisions --------------------------------------------------------------------------------------


@pytest.fixture
def sanctioned_finding():
    lead = OrganisationFactory()
    Sanction.objects.create(
        organisation=lead, starts_on=date(2021, 1, 1), ends_on=date(2021, 6, 30), reason="Late"
    )
    application = submitted(lead=lead)
    (finding,) = duplicates.run_check(application, by=StaffFactory())
    return finding


@pytest.mark.parametrize("reason", ["", "   "])
def test_clearing_needs_a_reason(sanctioned_finding, reason):
    with pytest.raises(TransitionRefused):
        duplicates.clear_finding(sanctioned_finding, by=StaffFactory(), reason=reason)
    sanctioned_finding.refresh_from_db()
    assert sanctioned_finding.state == FindingState.OPEN


def test_clearing_is_recorded_and_logged_with_who_when_why(sanctioned_finding):
    staff = StaffFactory()
    duplicates.clear_finding(sanctioned_finding, by=staff, reason="Sanction ended in 2021; allowed.")
    finding = DuplicateFinding.objects.get(pk=sanctioned_finding.pk)
    assert (finding.state, finding.decided_by, finding.reason) == (
        FindingState.CLEARED,
        staff,
        "Sanction ended in 2021; allowed.",
    )
    assert finding.decided_at is not None
    log = StateLog.objects.get(
        content_type=ContentType.objects.get_for_model(DuplicateFinding), object_id=finding.pk
    )
    assert (log.by, log.transition, log.description) == (staff, "clear", "Sanction ended in 2021; allowed.")
    with pytest.raises(TransitionRefused):
        duplicates.clear_finding(finding, by=staff, reason="again")


def test_rejecting_with_a_finding_uses_the_reject_path_and_cites_it(sanctioned_finding):
    reception_closed(sanctioned_finding.application.call)
    staff = StaffFactory()
    duplicates.reject_with_finding(sanctioned_finding, by=staff, reason="Same work funded twice.")
    application = Application.objects.get(pk=sanctioned_finding.application_id)
    assert application.state == ApplicationState.INELIGIBLE
    assert "Same work funded twice." in application.decision_reason
    assert "Sanction history" in application.decision_reason
    assert DuplicateFinding.objects.get(pk=sanctioned_finding.pk).state == FindingState.UPHELD


# --- Pages ------------------------------------------------------------------------------------------


def test_staff_page_shows_findings_and_clears_one_with_a_reason(client, role_groups, sanctioned_finding):
    client.force_login(StaffFactory())
    page = reverse("projects:staff_application", args=[sanctioned_finding.application_id])
    assert "Late" in client.get(page).content.decode()
    decide = reverse("projects:duplicate_finding_decide", args=[sanctioned_finding.pk])
    client.post(decide, {"action": "clear", "reason": ""})
    assert DuplicateFinding.objects.get(pk=sanctioned_finding.pk).state == FindingState.OPEN
    client.post(decide, {"action": "clear", "reason": "Old and served."})
    assert DuplicateFinding.objects.get(pk=sanctioned_finding.pk).state == FindingState.CLEARED


def test_applicants_may_not_use_the_staff_pages(client, role_groups, sanctioned_finding):
    client.force_login(UserFactory())
    decide = reverse("projects:duplicate_finding_decide", args=[sanctioned_finding.pk])
    run = reverse("projects:duplicate_check_run", args=[sanctioned_finding.application_id])
    assert client.post(decide, {"action": "clear", "reason": "x"}).status_code == 403
    assert client.post(run).status_code == 403
    assert DuplicateFinding.objects.get(pk=sanctioned_finding.pk).state == FindingState.OPEN


def test_queue_counts_open_findings_and_filters_on_them(client, role_groups, sanctioned_finding):
    call = sanctioned_finding.application.call
    other = submitted(call=call, summary=UNRELATED, title="Flood")
    client.force_login(StaffFactory())
    url = reverse("projects:eligibility_queue")
    response = client.get(url, {"call": call.slug})
    rows = {application.pk: application.open_findings_count for application, *_ in response.context["rows"]}
    assert rows == {sanctioned_finding.application_id: 1, other.pk: 0}
    response = client.get(url, {"call": call.slug, "findings": "open"})
    assert [application.pk for application, *_ in response.context["rows"]] == [
        sanctioned_finding.application_id
    ]
    duplicates.clear_finding(sanctioned_finding, by=StaffFactory(), reason="fine")
    response = client.get(url, {"call": call.slug, "findings": "open"})
    assert list(response.context["rows"]) == []


# --- Before eligibility is confirmed --------------------------------------------------------------


def test_confirming_with_an_open_finding_is_refused_naming_it(sanctioned_finding):
    application = sanctioned_finding.application
    reception_closed(application.call)
    with pytest.raises(TransitionRefused) as refused:
        workflow.decide_eligibility(application, by=StaffFactory(), eligible=True)
    (reason,) = refused.value.reasons
    assert reason.startswith(f"{application.reference} has open duplicate-funding findings")
    assert "Sanction history: " in reason and "Late" in reason
    assert Application.objects.get(pk=application.pk).state == ApplicationState.SUBMITTED


def test_confirming_re_runs_the_check_and_keeps_what_it_finds():
    first = submitted(title="Haeundae shuttle")
    workflow_copy = submitted(call=first.call, title="Haeundae shuttle")
    for application in (first, workflow_copy):
        indexed(application)
    assert not DuplicateFinding.objects.filter(application=first).exists()  # clean when submitted
    reception_closed(first.call)
    staff = StaffFactory()
    with pytest.raises(TransitionRefused) as refused:
        workflow.decide_eligibility(first, by=staff, eligible=True)
    assert workflow_copy.reference in refused.value.reasons[0]
    # The refusal holds the confirmation back, but the new finding stays on record.
    finding = DuplicateFinding.objects.get(application=first)
    assert (finding.kind, finding.other_application_id) == (FindingKind.SIMILAR_TEXT, workflow_copy.pk)
    duplicates.clear_finding(finding, by=staff, reason="The same company's two tracks; allowed.")
    decided = workflow.decide_eligibility(first, by=staff, eligible=True)
    assert decided.state == ApplicationState.ELIGIBLE
    assert DuplicateFinding.objects.filter(application=first).count() == 1  # nothing new, nothing lost


def test_rejecting_does_not_wait_for_the_findings(sanctioned_finding):
    application = sanctioned_finding.application
    reception_closed(application.call)
    workflow.decide_eligibility(application, by=StaffFactory(), eligible=False, reason="Budget incomplete.")
    assert Application.objects.get(pk=application.pk).state == ApplicationState.INELIGIBLE


def test_bulk_confirmation_decides_the_clean_and_refuses_the_held(client, role_groups, sanctioned_finding):
    held = sanctioned_finding.application
    clean = submitted(call=held.call, summary=UNRELATED, title="Flood")
    reception_closed(held.call)
    client.force_login(StaffFactory())
    response = client.post(
        reverse("projects:eligibility_bulk"),
        {"applications": [held.pk, clean.pk], "action": "confirm"},
        follow=True,
    )
    page = response.content.decode()
    assert "open duplicate-funding findings" in page
    assert Application.objects.get(pk=clean.pk).state == ApplicationState.ELIGIBLE
    assert Application.objects.get(pk=held.pk).state == ApplicationState.SUBMITTED
