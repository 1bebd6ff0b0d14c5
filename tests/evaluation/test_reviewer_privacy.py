"""Nobody sees a reviewer (DESIGN.md §3: "reviewers' identities are never shown to applicants,
and to auditors only as pseudonymous codes"): automatic transitions are logged as the system
account, the applicant's history names no reviewer, and auditors read reviewers only as their
codes in the outbox, the state logs and the admin."""

import pytest
from django.urls import reverse
from django_fsm_log.models import StateLog

from accounts.identities import pseudonym, pseudonyms
from accounts.roles import Role
from accounts.system import SYSTEM_EMAIL
from evaluation import reviewing
from evaluation.models import Assignment, Criterion
from projects.models import Application, ApplicationState, Membership, OutboxMessage
from tests.factories import UserFactory, cleared_to_score

pytestmark = pytest.mark.django_db


def full_marks(call):
    return {c: (str(c.max_points), "") for c in Criterion.objects.filter(plan__call=call)}


def review_to_the_end(call, application):
    """Every assigned reviewer submits; the last submission makes the application scored."""
    assignments = list(Assignment.objects.filter(application=application).select_related("reviewer__user"))
    for assignment in assignments:
        reviewing.save_review(
            cleared_to_score(assignment), full_marks(call), by=assignment.reviewer.user, submit=True
        )
    assert Application.objects.get(pk=application.pk).state == ApplicationState.SCORED
    return [assignment.reviewer for assignment in assignments]


@pytest.fixture
def applicant(call, assigned):
    user = UserFactory(email="owner@applicant.example")
    Membership.objects.create(user=user, organisation=assigned[0].lead, role=Membership.Role.OWNER)
    return user


@pytest.fixture
def auditor_client(client, role_groups):
    client.force_login(UserFactory(is_staff=True, roles=[Role.AUDITOR]))
    return client


def test_a_review_completing_the_application_is_logged_as_the_system_account(call, assigned):
    reviewers = review_to_the_end(call, assigned[0])
    log = StateLog.objects.for_(assigned[0]).get(transition="complete_review")
    assert log.by.email == SYSTEM_EMAIL
    assert log.by_id not in {reviewer.user_id for reviewer in reviewers}


def test_the_applicants_history_names_no_reviewer_on_a_blind_call_or_not(client, call, assigned, applicant):
    for blind in (False, True):
        call.blind_review = blind
        call.save(update_fields=["blind_review"])
        application = Application.objects.get(pk=assigned[0].pk)
        if application.state == ApplicationState.UNDER_REVIEW:
            reviewers = review_to_the_end(call, application)
        # A log written before the system account took these over still names the reviewer.
        StateLog.objects.create(
            content_object=application,
            transition="complete_review",
            source_state=ApplicationState.UNDER_REVIEW,
            state=ApplicationState.SCORED,
            by=reviewers[0].user,
        )
        client.force_login(applicant)
        page = client.get(reverse("projects:application_detail", args=[application.pk])).content.decode()
        assert "Under review → Scored" in page
        for reviewer in reviewers:
            assert reviewer.user.email not in page
            assert reviewer.code not in page
        assert SYSTEM_EMAIL not in page
        assert "Ministry staff" in page  # who acted, as the applicant may know it


def test_the_applicants_history_still_names_the_applicants_own_people(client, call, applicant):
    from tests.evaluation.conftest import eligible_applications

    application = eligible_applications(call, 1, lead=applicant.memberships.get().organisation)[0]
    StateLog.objects.create(
        content_object=application, transition="submit", source_state="draft", state="submitted", by=applicant
    )
    client.force_login(applicant)
    page = client.get(reverse("projects:application_detail", args=[application.pk])).content.decode()
    assert f"Draft → Submitted · {applicant.email}" in page


def test_auditors_read_reviewer_mail_in_the_outbox_only_by_code(auditor_client, call, assigned):
    reviewers = review_to_the_end(call, assigned[0])
    reviewer = reviewers[0]
    message = OutboxMessage.objects.filter(to=reviewer.user.email).first()
    assert message is not None  # "Review submitted" went to the reviewer
    listing = auditor_client.get(reverse("admin:projects_outboxmessage_changelist")).content.decode()
    detail = auditor_client.get(
        reverse("admin:projects_outboxmessage_change", args=[message.pk])
    ).content.decode()
    for page in (listing, detail):
        assert reviewer.code in page
        for each in reviewers:
            assert each.user.email not in page
    # Nor can an auditor find a reviewer's mail by searching for the address.
    found = auditor_client.get(
        reverse("admin:projects_outboxmessage_changelist"), {"q": reviewer.user.email}
    ).content.decode()
    assert message.subject not in found


def test_staff_still_read_the_outbox_with_addresses(client, call, assigned, staff_user):
    reviewer = review_to_the_end(call, assigned[0])[0]
    client.force_login(staff_user)
    page = client.get(reverse("admin:projects_outboxmessage_changelist")).content.decode()
    assert reviewer.user.email in page


def test_auditors_read_the_state_logs_by_code(auditor_client, call, assigned):
    reviewer = review_to_the_end(call, assigned[0])[0]
    StateLog.objects.create(
        content_object=assigned[0],
        transition="complete_review",
        source_state=ApplicationState.UNDER_REVIEW,
        state=ApplicationState.SCORED,
        by=reviewer.user,
    )
    page = auditor_client.get(
        reverse("admin:projects_application_change", args=[assigned[0].pk])
    ).content.decode()
    assert reviewer.code in page
    assert reviewer.user.email not in page


def test_no_admin_page_an_auditor_opens_names_a_reviewer(auditor_client, call, assigned):
    """Every list and record an auditor may open in the admin, with a reviewer who also belongs
    to an organisation, received mail and acted in a state log."""
    from django.contrib import admin

    reviewer = review_to_the_end(call, assigned[0])[0]
    Membership.objects.create(user=reviewer.user, organisation=assigned[1].lead)
    StateLog.objects.create(
        content_object=call,
        transition="start_evaluation",
        source_state="published",
        state="evaluation",
        by=reviewer.user,
    )
    opened = []
    for model in admin.site._registry:
        meta = model._meta
        response = auditor_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        if response.status_code == 403:
            continue
        pages = [response.content.decode()]
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            pages.append(auditor_client.get(change).content.decode())
        for page in pages:
            assert reviewer.user.email not in page, meta.label
        opened.append(meta.label)
    assert {"competitions.Call", "projects.Application", "projects.OutboxMessage"} <= set(opened)


def test_pseudonyms_come_from_one_place(call, assigned):
    reviewer = review_to_the_end(call, assigned[0])[0]
    other = UserFactory()
    assert pseudonyms([reviewer.user_id, other.pk]) == {reviewer.user_id: reviewer.code}
    assert pseudonym(reviewer.user) == reviewer.code and pseudonym(other) is None


def test_a_promotion_after_a_decline_is_logged_as_the_system_account_not_the_decliner(call, staff):
    """The promoted applicant reads its history: it must not name the other applicant's person."""
    from evaluation import selection_runs
    from evaluation.generate import generate

    generate(call, count=24, reviewers=8, seed=11, by=staff)
    run, results = selection_runs.run_selection(call, by=staff)
    selection_runs.confirm_run(run, by=staff)
    declining = Application.objects.get(pk=next(r for r in results if r.outcome == "selected").application_id)
    owner = UserFactory(email="decliner@applicant.example")
    Membership.objects.create(user=owner, organisation=declining.lead, role="owner")
    promoted = selection_runs.decline(declining, by=owner, reason="We cannot start this year.")
    assert StateLog.objects.for_(declining).get(transition="decline").by == owner
    assert StateLog.objects.for_(promoted).get(transition="promote").by.email == SYSTEM_EMAIL


def test_the_auditors_room_names_a_requester_who_reviews_only_by_code(auditor_client, call, assigned):
    from audit.models import ExportJob

    reviewer = Assignment.objects.filter(application=assigned[0]).first().reviewer
    reviewer.user.groups.add(*UserFactory(roles=[Role.AUDITOR]).groups.all())
    job = ExportJob.objects.create(requested_by=reviewer.user)
    job.calls.add(call)
    page = auditor_client.get(reverse("audit:exports")).content.decode()
    assert reviewer.code in page and reviewer.user.email not in page
