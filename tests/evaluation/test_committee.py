"""Committee management: staff invite external reviewers by e-mail (a signed, single-use,
expiring link sets the password), import a pool from a spreadsheet (one bad row writes
nothing), and build a call's panels with each reviewer's conflicts in view."""

import io
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from accounts.models import User
from accounts.roles import Role, has_role
from competitions.lifecycle import TransitionRefused
from competitions.models import TechnologyField
from evaluation import committee, pledges
from evaluation.models import Assignment, Panel, Reviewer, ReviewerInvitation
from projects.models import OutboxMessage
from projects.registration_number import format_registration_number
from tests.factories import OrganisationFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

SITE = "http://testserver/"
PASSWORD = "a-long-pass-phrase-2026"


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


def link_in(message):
    return re.search(r"http://testserver(/review/welcome/[^/\s]+/)", message.body).group(1)


def invite(staff, email="kim.expert@univ.example", **extra):
    invitee = committee.Invitee(extra.pop("name", "Kim Minji"), email, **extra)
    return committee.invite_reviewer(invitee, by=staff, site=SITE)


def written():
    """Everything an invitation writes, to prove a refusal wrote none of it."""
    return (
        User.objects.count(),
        Reviewer.objects.count(),
        ReviewerInvitation.objects.count(),
        OutboxMessage.objects.count(),
    )


# --- Invitations --------------------------------------------------------------------------------


def test_staff_invite_a_reviewer_from_the_pool_page(client, staff):
    university = OrganisationFactory(kind="university")
    fields = list(TechnologyField.objects.order_by("code")[:2])
    client.force_login(staff)
    response = client.post(
        reverse("evaluation:reviewer_pool"),
        {
            "name": "Kim Minji",
            "email": "Kim.Expert@Univ.example",
            "affiliation": format_registration_number(university.registration_number),
            "expertise": [f.pk for f in fields],
        },
    )
    assert response.status_code == 302
    invitation = ReviewerInvitation.objects.get()
    reviewer = invitation.reviewer
    user = reviewer.user
    assert (user.email, user.first_name, user.has_usable_password()) == (
        "kim.expert@univ.example",
        "Kim Minji",
        False,
    )
    assert has_role(user, Role.REVIEWER)
    assert reviewer.affiliation == university and set(reviewer.expertise.all()) == set(fields)
    assert re.fullmatch(r"R[A-Z2-9]{6}", reviewer.code)
    # Logged: who invited whom, when; the e-mail went through the outbox with the link.
    assert (invitation.invited_by, invitation.sends, invitation.accepted_at) == (staff, 1, None)
    message = OutboxMessage.objects.get(to="kim.expert@univ.example")
    assert link_in(message)


def test_the_link_sets_the_password_once_and_lands_on_the_reviewers_page(client, staff):
    invitation = invite(staff)
    url = link_in(OutboxMessage.objects.get())
    assert client.get(url).status_code == 200
    response = client.post(url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response["Location"] == reverse("evaluation:my_reviews")
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert User.objects.get(email="kim.expert@univ.example").check_password(PASSWORD)
    assert client.get(reverse("evaluation:my_reviews")).status_code == 200  # logged in
    # Used twice: refused with the reason, the password unchanged.
    client.logout()
    again = client.post(
        url, {"new_password1": "another-pass-phrase-99", "new_password2": "another-pass-phrase-99"}
    )
    assert again.status_code == 410
    assert (
        "This invitation link has already been used. Log in with the password you chose."
        in again.content.decode()
    )
    assert User.objects.get(email="kim.expert@univ.example").check_password(PASSWORD)


def test_an_expired_link_is_refused_with_its_reason(client, staff):
    past = timezone.now().timestamp() - committee.INVITATION_VALID_FOR.total_seconds() - 60
    with mock.patch("django.core.signing.time.time", return_value=past):
        invite(staff)
    url = link_in(OutboxMessage.objects.get())
    response = client.post(url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 410
    assert (
        "This invitation link has expired. Ask the ministry to send you a new one."
        in response.content.decode()
    )
    assert not User.objects.get(email="kim.expert@univ.example").has_usable_password()


def test_a_tampered_link_is_not_valid(client, staff):
    invite(staff)
    url = link_in(OutboxMessage.objects.get())
    response = client.get(url.replace("/welcome/", "/welcome/x"))
    assert response.status_code == 410
    assert "This invitation link is not valid." in response.content.decode()


def test_sending_again_replaces_the_earlier_link(client, staff):
    invitation = invite(staff)
    first = link_in(OutboxMessage.objects.get())
    client.force_login(staff)
    client.post(reverse("evaluation:invitation_resend", args=[invitation.pk]))
    client.logout()
    second = link_in(OutboxMessage.objects.order_by("pk").last())
    assert first != second
    response = client.get(first)
    assert response.status_code == 410
    assert (
        "A newer invitation was sent to you: use the link in the latest e-mail." in response.content.decode()
    )
    assert client.post(second, {"new_password1": PASSWORD, "new_password2": PASSWORD}).status_code == 302
    invitation.refresh_from_db()
    assert (invitation.sends, invitation.last_sent_by) == (2, staff)
    # Accepted: sending once more is refused.
    with pytest.raises(TransitionRefused, match="has already accepted the invitation"):
        committee.resend_invitation(invitation, by=staff, site=SITE)


def test_the_link_opened_by_someone_else_logged_in_is_refused(client, staff, role_groups):
    invite(staff)
    url = link_in(OutboxMessage.objects.get())
    client.force_login(UserFactory(roles=[Role.REVIEWER]))
    response = client.post(url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 403
    assert (
        "This invitation is for someone else. Log out first, then open the link again."
        in response.content.decode()
    )
    assert ReviewerInvitation.objects.get().accepted_at is None
    with pytest.raises(TransitionRefused, match="for someone else"):
        committee.accept_invitation(url.split("/")[-2], password=PASSWORD, viewer=UserFactory())


def test_a_weak_password_is_refused_and_the_link_still_works(client, staff):
    invite(staff)
    url = link_in(OutboxMessage.objects.get())
    response = client.post(url, {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200 and response.context["form"].errors
    assert ReviewerInvitation.objects.get().accepted_at is None


def test_an_existing_account_becomes_a_reviewer_without_a_link(staff, role_groups):
    person = UserFactory(email="lee@institute.example", roles=[Role.APPLICANT])
    invitation = invite(staff, email="LEE@institute.example")
    assert invitation.reviewer.user == person and invitation.accepted_at is not None
    assert has_role(User.objects.get(pk=person.pk), Role.REVIEWER)
    message = OutboxMessage.objects.get()
    assert "/review/welcome/" not in message.body and "/review/" in message.body
    assert User.objects.get(pk=person.pk).check_password("correct-horse-battery")  # untouched


def test_inviting_someone_already_in_the_pool_or_without_a_name_is_refused(staff):
    first = invite(staff)
    before = written()
    with pytest.raises(TransitionRefused) as refused:
        invite(staff, email="KIM.expert@univ.example", name=" ")
    assert refused.value.reasons == [
        "Enter the person's name.",
        f"kim.expert@univ.example is already in the reviewer pool ({first.reviewer.code}).",
    ]
    assert written() == before


def test_only_staff_invite(role_groups):
    reviewer = UserFactory(roles=[Role.REVIEWER])
    before = written()
    with pytest.raises(PermissionDenied):
        invite(reviewer)
    assert written() == before


# --- Importing a pool ---------------------------------------------------------------------------


def spreadsheet(rows, header=("name", "email", "affiliation", "expertise")):
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "pool.xlsx"
    return buffer


def test_an_import_with_one_bad_row_writes_nothing_and_names_the_row(client, staff):
    university = OrganisationFactory(kind="university")
    number = format_registration_number(university.registration_number)
    code = TechnologyField.objects.order_by("code").first().code
    client.force_login(staff)
    before = written()
    rows = [
        ("Park Jiwoo", "park@univ.example", number, f"{code}"),
        ("Choi Hana", "choi@univ.example", "123-45-67891", ""),  # no such organisation
        ("Jung Min", "jung@univ.example", "", "999"),  # no such field
    ]
    response = client.post(reverse("evaluation:reviewer_import"), {"spreadsheet": spreadsheet(rows)})
    assert response.status_code == 200
    errors = [str(m) for m in response.context["messages"]]
    assert errors == [
        "Row 3: There is no organisation with the business registration number 123-45-67891.",
        "Row 4: There is no technology field with the code 999.",
    ]
    assert written() == before


def test_a_good_import_invites_everyone_in_it(client, staff):
    university = OrganisationFactory(kind="university")
    fields = list(TechnologyField.objects.order_by("code")[:2])
    rows = [
        (
            "Park Jiwoo",
            "park@univ.example",
            university.registration_number,
            f"{fields[0].code}, {fields[1].code}",
        ),
        ("Choi Hana", "choi@univ.example", None, None),
    ]
    client.force_login(staff)
    response = client.post(
        reverse("evaluation:reviewer_import"), {"spreadsheet": spreadsheet(rows)}, follow=True
    )
    assert "2 reviewer(s) invited." in [str(m) for m in response.context["messages"]]
    park = Reviewer.objects.get(user__email="park@univ.example")
    assert park.affiliation == university and set(park.expertise.all()) == set(fields)
    assert ReviewerInvitation.objects.filter(invited_by=staff, accepted_at=None).count() == 2
    assert OutboxMessage.objects.filter(to__in=["park@univ.example", "choi@univ.example"]).count() == 2


def test_an_import_refuses_a_repeated_address_and_a_file_that_is_no_spreadsheet(staff):
    before = written()
    rows = [("A", "same@univ.example", "", ""), ("B", "Same@univ.example", "", "")]
    with pytest.raises(TransitionRefused) as refused:
        committee_import(spreadsheet(rows), staff)
    assert refused.value.reasons == ["Row 3: same@univ.example appears again (first in row 2)."]
    not_xlsx = io.BytesIO(b"name,email\nA,a@b.example\n")
    with pytest.raises(TransitionRefused, match="not an xlsx spreadsheet"):
        committee_import(not_xlsx, staff)
    with pytest.raises(TransitionRefused, match="must name the columns"):
        committee_import(spreadsheet([("A", "a@b.example")], header=("who", "where")), staff)
    assert written() == before


def committee_import(upload, staff):
    from evaluation.pool_import import import_pool

    return import_pool(upload, by=staff, site=SITE)


@pytest.mark.parametrize("count", [2, 12])
def test_the_pool_page_reads_a_constant_number_of_queries(
    client, staff, count, django_assert_max_num_queries
):
    for n in range(count):
        invite(staff, email=f"expert{n}@univ.example", expertise=list(TechnologyField.objects.all()[:2]))
    client.force_login(staff)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("evaluation:reviewer_pool"))
    assert response.content.decode().count("Send again") == count


# --- Panels -------------------------------------------------------------------------------------


def test_building_a_panel_shows_conflicts_and_refuses_removing_a_reviewer_with_assignments(
    client, call, assigned, staff
):
    panel = Panel.objects.get(call=call)
    held = Assignment.objects.filter(application__call=call).select_related("reviewer").first().reviewer
    # A reviewer from the pool whose institute applies to the call: conflicted with every applicant.
    insider = invite(staff, email="insider@lead.example", affiliation=assigned[0].lead).reviewer
    free = invite(staff, email="free@univ.example").reviewer
    client.force_login(staff)
    url = reverse("evaluation:panels", args=[call.slug])
    page = client.get(url)
    pool = {member.reviewer.pk: member for member in page.context["pool"]}
    assert pool[insider.pk].conflicted_with == sorted(a.reference for a in assigned)
    assert pool[free.pk].conflicted_with == []
    added = client.post(url, {"action": "add", "panel": panel.pk, "reviewers": [free.pk]}, follow=True)
    assert [str(m) for m in added.context["messages"]] == ["1 reviewer(s) added to Panel."]
    assert panel.reviewers.filter(pk=free.pk).exists()
    response = client.post(url, {"action": "remove", "panel": panel.pk, "reviewer": held.pk}, follow=True)
    reasons = [str(m) for m in response.context["messages"]]
    assert len(reasons) == 1 and reasons[0].startswith(f"{held.code} holds ") and "stays on it" in reasons[0]
    assert panel.reviewers.filter(pk=held.pk).exists()
    client.post(url, {"action": "remove", "panel": panel.pk, "reviewer": free.pk})
    assert not panel.reviewers.filter(pk=free.pk).exists()


def test_staff_create_a_panel_for_one_field_and_see_who_signed_the_pledge(client, call, assigned, staff):
    field = call.service_fields.first()
    assignment = Assignment.objects.select_related("reviewer__user").first()
    pledges.sign_pledge(assignment, by=assignment.reviewer.user, agreed=True, name="Kim Minsu")
    client.force_login(staff)
    url = reverse("evaluation:panels", args=[call.slug])
    client.post(url, {"action": "create", "name": "Mobility experts", "service_field": field.pk})
    assert Panel.objects.get(call=call, name="Mobility experts").service_field == field
    page = client.get(url).content.decode()
    assert "Kim Minsu" in page and assignment.reviewer.code in page
    response = client.post(url, {"action": "create", "name": " "}, follow=True)
    assert "Give the panel a name." in [str(m) for m in response.context["messages"]]


def test_an_expired_invitation_is_still_refused_after_the_time_passes(staff):
    invitation = invite(staff)
    token = committee.token_for(invitation)
    later = timezone.now() + committee.INVITATION_VALID_FOR + timedelta(minutes=1)
    with (
        mock.patch("django.core.signing.time.time", return_value=later.timestamp()),
        pytest.raises(TransitionRefused, match="expired"),
    ):
        committee.accept_invitation(token, password=PASSWORD)


def test_the_committee_pages_read_in_korean(client, call, assigned, staff):
    invite(staff)
    client.force_login(staff)
    pool = client.get(reverse("evaluation:reviewer_pool"), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "평가위원 후보군" in pool and "발송(1회)" in pool
    panels = client.get(
        reverse("evaluation:panels", args=[call.slug]), HTTP_ACCEPT_LANGUAGE="ko"
    ).content.decode()
    assert "청렴·보안 서약 현황" in panels and "신청기관과의 이해충돌" in panels
