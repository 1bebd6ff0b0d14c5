"""A proposed consortium member is never hard-deleted (issue 18): the lead taking it off a draft
withdraws it, kept with who, when and why in the state log. A withdrawn member counts for
nothing (eligibility, submission, conflicts of interest), its people no longer see the request,
and the same organisation may be proposed again."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused
from evaluation.conflicts import is_conflicted
from evaluation.models import Reviewer
from projects import identity, workflow
from projects.eligibility_check import application_facts, with_eligibility_data
from projects.forms import ConsortiumMemberForm
from projects.models import Application, ApplicationState, ConsortiumMember
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner(role_groups):
    """An organisation with its own person (not the applicant)."""
    return OrganisationFactory(
        owners=[UserFactory(email="director@institute.example")],
        name="Busan Data Institute",
        kind="university",
    )


def propose(client, draft, organisation, share="20"):
    return client.post(
        reverse("projects:member_add", args=[draft.pk]),
        {"registration_number": organisation.registration_number, "budget_share_percent": share},
        follow=True,
    )


def remove(client, draft, member, reason=""):
    return client.post(
        reverse("projects:member_remove", args=[draft.pk, member.pk]), {"reason": reason}, follow=True
    )


def test_removing_a_member_keeps_its_row_withdrawn_with_who_when_and_why(client, applicant, draft, partner):
    client.force_login(applicant)
    propose(client, draft, partner)
    member = draft.consortium_members.get()
    identity.respond_to_consortium(member, by=partner.members.get(), accept=True)
    assert application_facts(Application.objects.get(pk=draft.pk)).parties[1].name == partner.name

    response = remove(client, draft, member, reason="The institute left the project.")
    assert "Consortium member removed." in [str(m) for m in response.context["messages"]]
    member = ConsortiumMember.objects.get(pk=member.pk)
    assert member.state == ConsortiumMember.State.WITHDRAWN and not member.counts
    log = StateLog.objects.for_(member).order_by("timestamp", "pk").last()
    assert (log.transition, log.by, log.description) == (
        "withdraw",
        applicant,
        "The institute left the project.",
    )
    assert log.timestamp is not None
    # Off the page, off the parties: the lead carries the whole budget again.
    page = client.get(reverse("projects:application_detail", args=[draft.pk])).content.decode()
    assert partner.name not in page
    facts = application_facts(Application.objects.get(pk=draft.pk))
    assert [party.name for party in facts.parties] == [draft.lead.name]
    assert facts.parties[0].budget_share_percent == 100 and facts.unaccepted_members == ()
    [prefetched] = with_eligibility_data(Application.objects.filter(pk=draft.pk))
    assert list(prefetched.consortium_members.all()) == []
    # A second removal finds nothing to remove.
    assert client.post(reverse("projects:member_remove", args=[draft.pk, member.pk])).status_code == 404
    with pytest.raises(TransitionRefused) as refused:
        identity.remove_consortium_member(member, by=applicant)
    assert refused.value.reasons == ["This member was already taken off the consortium."]


def test_a_withdrawn_pending_member_no_longer_blocks_submission(applicant, draft, partner):
    member = ConsortiumMember.objects.create(application=draft, organisation=partner, budget_share_percent=40)
    with pytest.raises(TransitionRefused):
        workflow.submit(Application.objects.get(pk=draft.pk), by=applicant)
    other = OrganisationFactory(name="Second Partner")
    share = {"registration_number": other.registration_number, "budget_share_percent": "70"}
    assert not ConsortiumMemberForm(share, application=draft).is_valid()  # 40 + 70 leave the lead nothing
    withdrawn = identity.remove_consortium_member(member, by=applicant)
    assert ConsortiumMemberForm(share, application=draft).is_valid()  # the withdrawn share is not counted
    log = StateLog.objects.for_(withdrawn).get()
    assert (log.source_state, log.state, log.description) == (
        "pending",
        "withdrawn",
        "Withdrawn by the lead organisation.",
    )
    assert (
        workflow.submit(Application.objects.get(pk=draft.pk), by=applicant).state
        == ApplicationState.SUBMITTED
    )
    assert ConsortiumMember.objects.filter(pk=member.pk).exists()


def test_a_withdrawn_member_makes_no_conflict_of_interest(applicant, draft, partner):
    member = ConsortiumMember.objects.create(application=draft, organisation=partner, budget_share_percent=10)
    identity.respond_to_consortium(member, by=partner.members.get(), accept=True)
    reviewer = Reviewer.objects.create(
        user=UserFactory(email="expert@institute.example"), affiliation=partner, code="R-WD-1"
    )
    assert is_conflicted(reviewer, draft)
    identity.remove_consortium_member(member, by=applicant)
    assert not is_conflicted(reviewer, Application.objects.get(pk=draft.pk))


def test_the_same_organisation_may_be_proposed_again_after_its_removal(client, applicant, draft, partner):
    client.force_login(applicant)
    propose(client, draft, partner)
    first = draft.consortium_members.get()
    identity.respond_to_consortium(first, by=partner.members.get(), accept=False)
    # Declined: still proposed, so not twice.
    response = propose(client, draft, partner)
    assert "This organisation is already a member." in response.content.decode()
    remove(client, draft, first)
    response = propose(client, draft, partner, share="30")
    assert "Consortium member added." in [str(m) for m in response.context["messages"]]
    again = draft.consortium_members.live().get()
    assert (again.state, again.budget_share_percent) == ("pending", 30)
    assert sorted(draft.consortium_members.values_list("state", flat=True)) == ["pending", "withdrawn"]
    # The database keeps one live row per organisation and application.
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsortiumMember.objects.create(application=draft, organisation=partner, budget_share_percent=5)


def test_the_withdrawn_members_people_no_longer_see_or_answer_the_request(client, applicant, draft, partner):
    member = ConsortiumMember.objects.create(application=draft, organisation=partner, budget_share_percent=10)
    person = partner.members.get()
    client.force_login(person)
    assert draft.title in client.get(reverse("projects:requests")).content.decode()
    identity.remove_consortium_member(member, by=applicant)
    assert draft.title not in client.get(reverse("projects:requests")).content.decode()
    page = client.get(reverse("projects:organisation_detail", args=[partner.pk])).content.decode()
    assert draft.title not in page
    answer = client.post(reverse("projects:consortium_respond", args=[member.pk]), {"answer": "accept"})
    assert answer.status_code == 404
    assert list(identity.consortium_places(person)) == []
    # Even reached past the pages, the domain refuses.
    with pytest.raises(TransitionRefused) as refused:
        identity.respond_to_consortium(member, by=person, accept=True)
    assert refused.value.reasons == ["The lead organisation withdrew this request."]
    assert ConsortiumMember.objects.get(pk=member.pk).state == ConsortiumMember.State.WITHDRAWN
    assert client.get(reverse("projects:application_detail", args=[draft.pk])).status_code == 404
