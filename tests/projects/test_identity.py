"""A registration number identifies one organisation for ever (projects.identity): stored as ten
digits and unique, never changed by its applicant, changed by staff with a reason kept in the
history, and sanctions follow it. Nobody joins a consortium or an organisation without saying
yes, and public bodies are verified by staff before they lead or join."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused
from competitions.models import Region
from projects import identity, workflow
from projects.models import (
    ApplicationState,
    ConsortiumMember,
    Membership,
    MembershipInvitation,
    Organisation,
    RegistrationNumberLocked,
    RegistrationNumberRecord,
    Sanction,
)
from projects.registration_number import format_registration_number
from tests.factories import (
    ApplicationFactory,
    OrganisationFactory,
    StaffFactory,
    UserFactory,
    registration_number,
)

from .conftest import attach

pytestmark = pytest.mark.django_db

NUMBER_TAKEN = "This business registration number is already registered in Gongmo."


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def organisation_data(number, name="Busan Parking Tech"):
    return {
        "name": name,
        "registration_number": number,
        "kind": "company",
        "region": Region.objects.get(slug="busan").pk,
        "industry": "ict",
        "years-TOTAL_FORMS": "1",
        "years-INITIAL_FORMS": "0",
        "years-MIN_NUM_FORMS": "0",
        "years-MAX_NUM_FORMS": "3",
        "years-0-year": "2025",
        "years-0-sales": "50000000000",
        "years-0-total_assets": "30000000000",
    }


def sanction(organisation, reason="Misuse of subsidy in 2024"):
    today = timezone.localdate()
    return Sanction.objects.create(
        organisation=organisation,
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=365),
        reason=reason,
    )


# --- Finding 15: the number is the organisation's, for ever -----------------------------------


def test_the_edit_form_neither_offers_nor_accepts_the_registration_number(client, applicant, organisation):
    original = organisation.registration_number
    client.force_login(applicant)
    page = client.get(reverse("projects:organisation_edit", args=[organisation.pk])).content.decode()
    assert 'name="registration_number"' not in page
    assert format_registration_number(original) in page  # shown, read-only
    data = organisation_data(format_registration_number(registration_number(617810123)), name="Renamed")
    response = client.post(reverse("projects:organisation_edit", args=[organisation.pk]), data)
    assert response.status_code == 200
    assert (
        "The business registration number cannot be changed here. If it is wrong, ask the ministry to correct it."
        in response.content.decode()
    )
    stored = Organisation.objects.get(pk=organisation.pk)
    assert (stored.registration_number, stored.name) == (original, organisation.name)
    assert list(stored.number_records.values_list("number", flat=True)) == [original]


def test_the_model_refuses_a_number_change_outside_the_staff_path(organisation):
    organisation.registration_number = registration_number(617810123)
    with pytest.raises(RegistrationNumberLocked):
        organisation.save()
    assert Organisation.objects.get(pk=organisation.pk).registration_number != registration_number(617810123)


def test_the_same_number_in_another_format_is_refused_with_a_message(client, applicant):
    existing = OrganisationFactory(registration_number=registration_number(123456789))
    client.force_login(applicant)
    for typed in (
        format_registration_number(existing.registration_number),
        " 123 45 6789" + existing.registration_number[-1],
    ):
        response = client.post(reverse("projects:organisation_create"), organisation_data(typed, name="Copy"))
        assert NUMBER_TAKEN in response.content.decode()
    assert not Organisation.objects.filter(name="Copy").exists()


def test_numbers_are_stored_as_ten_digits_and_unique_in_the_database(organisation):
    # Any path that writes a formatted number stores the digits, and then meets the unique index.
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(registration_number=format_registration_number(organisation.registration_number))
    other = OrganisationFactory(registration_number="307-82-0456" + registration_number(307820456)[-1])
    assert other.registration_number == registration_number(307820456)


def test_staff_change_the_number_with_a_reason_kept_in_the_history(organisation, applicant, role_groups):
    staff = StaffFactory()
    old = organisation.registration_number
    new = registration_number(617810123)
    with pytest.raises(PermissionDenied):
        identity.change_registration_number(organisation, new, by=applicant, reason="typo")
    with pytest.raises(TransitionRefused) as refused:
        identity.change_registration_number(organisation, new, by=staff, reason="  ")
    assert refused.value.reasons == ["Write why the business registration number changes."]
    assert Organisation.objects.get(pk=organisation.pk).registration_number == old

    identity.change_registration_number(
        organisation, format_registration_number(new), by=staff, reason="Certificate re-issued"
    )
    assert Organisation.objects.get(pk=organisation.pk).registration_number == new
    history = [
        (r.number, r.previous_number, r.reason, r.recorded_by) for r in identity.number_history(organisation)
    ]
    assert history == [(old, "", "", None), (new, old, "Certificate re-issued", staff)]
    # The old number stays the organisation's: nobody else registers it, and it cannot come back
    # to this organisation either (a number is recorded once).
    with pytest.raises(TransitionRefused) as refused:
        identity.change_registration_number(organisation, old, by=staff, reason="undo")
    assert refused.value.reasons == [NUMBER_TAKEN]


def test_a_sanctioned_organisation_cannot_shed_its_sanction_by_renumbering(
    client, applicant, organisation, open_call
):
    """The attack: edit the sanctioned organisation's number, register the number again as a
    clean organisation and apply with it. Every step is refused; after a staff correction the
    sanction still follows the organisation."""
    number = organisation.registration_number
    sanction(organisation)
    client.force_login(applicant)
    data = organisation_data(registration_number(617810123), name=organisation.name)
    client.post(reverse("projects:organisation_edit", args=[organisation.pk]), data)
    response = client.post(
        reverse("projects:organisation_create"),
        organisation_data(format_registration_number(number), name="Clean Co"),
    )
    assert NUMBER_TAKEN in response.content.decode()
    assert Organisation.objects.get(registration_number=number) == organisation
    assert not Organisation.objects.filter(name="Clean Co").exists()

    # Staff correct the number for a real reason; the sanction recorded under the old number applies.
    identity.change_registration_number(
        organisation, registration_number(617810123), by=StaffFactory(), reason="Certificate re-issued"
    )
    assert Sanction.objects.get().registration_number == number
    draft = ApplicationFactory(call=open_call, lead=organisation, created_by=applicant)
    attach(draft, "proposal", applicant)
    attach(draft, "business_registration", applicant, name="certificate.pdf")
    with pytest.raises(TransitionRefused) as refused:
        workflow.submit(draft, by=applicant)
    assert refused.value.reasons == [
        "No active sanction: Haeundae Smart Mobility is under an active participation restriction "
        "(Misuse of subsidy in 2024)."
    ]
    assert draft.__class__.objects.get(pk=draft.pk).state == ApplicationState.DRAFT
    # And the old number cannot be registered again.
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(registration_number=number)


# --- Finding 17: consent and verification ----------------------------------------------------


@pytest.fixture
def partner(role_groups):
    """An organisation with its own member (not the applicant)."""
    person = UserFactory(email="director@institute.example")
    return OrganisationFactory(owners=[person], name="Busan Data Institute", kind="university")


def test_a_consortium_member_joins_only_when_one_of_its_members_accepts(client, applicant, draft, partner):
    client.force_login(applicant)
    client.post(
        reverse("projects:member_add", args=[draft.pk]),
        {"registration_number": partner.registration_number, "budget_share_percent": "20"},
    )
    member = draft.consortium_members.get()
    assert member.state == ConsortiumMember.State.PENDING
    # The applicant cannot answer for the partner, and cannot submit while it has not answered.
    response = client.post(reverse("projects:consortium_respond", args=[member.pk]), {"answer": "accept"})
    assert response.status_code == 404
    with pytest.raises(TransitionRefused) as refused:
        workflow.submit(draft, by=applicant)
    assert refused.value.reasons == [
        "Consortium members' acceptance: Busan Data Institute has not accepted joining the consortium "
        "(Waiting for the organisation's acceptance)."
    ]
    page = client.get(reverse("projects:application_detail", args=[draft.pk])).content.decode()
    assert "has not accepted joining the consortium" in page

    client.force_login(partner.members.get())
    page = client.get(reverse("projects:requests")).content.decode()
    assert draft.title in page
    client.post(reverse("projects:consortium_respond", args=[member.pk]), {"answer": "accept"})
    member.refresh_from_db()
    assert (member.state, member.responded_by) == ("accepted", partner.members.get())
    log = StateLog.objects.for_(member).get()
    assert (log.transition, log.by) == ("accept", partner.members.get())
    assert workflow.submit(draft, by=applicant).state == ApplicationState.SUBMITTED


def test_a_declined_member_counts_for_nothing_and_blocks_submission(applicant, draft, partner):
    member = ConsortiumMember.objects.create(application=draft, organisation=partner, budget_share_percent=40)
    identity.respond_to_consortium(member, by=partner.members.get(), accept=False)
    assert ConsortiumMember.objects.get(pk=member.pk).state == ConsortiumMember.State.DECLINED
    with pytest.raises(TransitionRefused) as refused:
        workflow.submit(draft, by=applicant)
    assert refused.value.reasons == [
        "Consortium members' acceptance: Busan Data Institute has not accepted joining the consortium (Declined)."
    ]
    with pytest.raises(TransitionRefused):  # answered once
        identity.respond_to_consortium(member, by=partner.members.get(), accept=True)


def test_an_unverified_local_government_can_neither_join_nor_lead(
    client, applicant, draft, open_call, role_groups
):
    seoul = OrganisationFactory(
        name="Seoul Metropolitan Government", kind="local_government", verified_at=None, owners=[applicant]
    )
    reason = (
        "Seoul Metropolitan Government is a local government not yet verified by the ministry; "
        "it can lead or join an application once verified."
    )
    client.force_login(applicant)
    response = client.post(
        reverse("projects:member_add", args=[draft.pk]),
        {"registration_number": seoul.registration_number, "budget_share_percent": "10"},
        follow=True,
    )
    assert reason in messages_of(response)
    assert not draft.consortium_members.exists()
    response = client.post(
        reverse("projects:application_start", args=[open_call.slug]),
        {"lead": seoul.pk, "track": open_call.tracks.get().pk, "title": "Seoul pilot"},
    )
    assert reason in response.content.decode()
    assert not seoul.led_applications.exists()
    # A member added before (or by another path) still cannot take part until verified.
    member = ConsortiumMember.objects.create(application=draft, organisation=seoul, budget_share_percent=10)
    with pytest.raises(TransitionRefused) as refused:
        identity.respond_to_consortium(member, by=applicant, accept=True)
    assert refused.value.reasons == [reason]

    staff = StaffFactory()
    with pytest.raises(PermissionDenied):
        identity.verify_organisation(seoul, by=applicant)
    identity.verify_organisation(seoul, by=staff)
    seoul.refresh_from_db()
    assert seoul.verified_by == staff and seoul.verified_at is not None
    identity.respond_to_consortium(member, by=applicant, accept=True)
    assert ConsortiumMember.objects.get(pk=member.pk).counts


def test_staff_verify_in_the_admin_and_it_is_logged(client, role_groups):
    from django.contrib.admin.models import LogEntry

    staff = StaffFactory()
    seoul = OrganisationFactory(
        name="Seoul Metropolitan Government", kind="local_government", verified_at=None
    )
    client.force_login(staff)
    client.post(
        reverse("admin:projects_organisation_changelist"),
        {"action": "verify", "_selected_action": [seoul.pk]},
    )
    seoul.refresh_from_db()
    assert seoul.verified_by == staff
    assert LogEntry.objects.get(object_id=str(seoul.pk)).change_message == "Verified by the ministry."


def test_adding_a_person_is_an_invitation_and_never_reveals_whether_the_address_is_known(
    client, applicant, organisation, stranger
):
    client.force_login(applicant)
    url = reverse("projects:organisation_detail", args=[organisation.pk])
    known = client.post(url, {"email": "Stranger@Other.example"}, follow=True)
    unknown = client.post(url, {"email": "nobody@nowhere.example"}, follow=True)
    assert messages_of(known) == [identity.invitation_sent_message("stranger@other.example")]
    assert messages_of(unknown) == [identity.invitation_sent_message("nobody@nowhere.example")]
    assert not Membership.objects.filter(user=stranger, organisation=organisation).exists()
    invitation = MembershipInvitation.objects.get(email="stranger@other.example")

    # Someone else cannot accept it; the invited person can.
    client.post(reverse("projects:invitation_respond", args=[invitation.pk]), {"answer": "accept"})
    assert not Membership.objects.filter(organisation=organisation, user=applicant, role="member").exists()
    client.force_login(stranger)
    assert organisation.name in client.get(reverse("projects:requests")).content.decode()
    client.post(reverse("projects:invitation_respond", args=[invitation.pk]), {"answer": "accept"})
    assert Membership.objects.get(user=stranger, organisation=organisation).role == "member"
    invitation.refresh_from_db()
    assert (invitation.state, invitation.responded_by) == ("accepted", stranger)


def test_registration_records_the_first_number(client, applicant):
    client.force_login(applicant)
    client.post(reverse("projects:organisation_create"), organisation_data("617-81-01238"))
    organisation = Organisation.objects.get(name="Busan Parking Tech")
    assert list(
        RegistrationNumberRecord.objects.filter(organisation=organisation).values_list("number", flat=True)
    ) == ["6178101238"]
