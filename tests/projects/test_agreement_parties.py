"""Structured agreements (issue 16): the parties are records made from the accepted consortium
at signing, shares add up (checked in the write's transaction), a member added by an agreement
change consents first, history is kept; the agreement summary prints as a PDF in the reader's
language, for the parties' people, staff and auditors only."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused
from competitions.models import BudgetCategory
from projects import agreement_changes, parties, years
from projects.models import (
    AgreementChange,
    AgreementParty,
    ConsortiumMember,
    Indicator,
    IndicatorTarget,
    OutboxMessage,
    PartyKind,
    PartyState,
    RequestState,
)
from tests.factories import (
    OrganisationFactory,
    StaffFactory,
    UserFactory,
    selected_in_a_confirmed_run,
    signed_project,
)
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.django_db

M = 1_000_000


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


@pytest.fixture
def partner_user(role_groups):
    return UserFactory(email="partner@lab.example")


@pytest.fixture
def partner(partner_user):
    return OrganisationFactory(owners=[partner_user], name="Sejong Urban Data Lab")


@pytest.fixture
def newcomer_user(role_groups):
    return UserFactory(email="someone@newcomer.example")


@pytest.fixture
def newcomer(newcomer_user):
    return OrganisationFactory(owners=[newcomer_user], name="Hanbit Construction")


@pytest.fixture
def project(draft, staff, partner):
    ConsortiumMember.objects.create(
        application=draft,
        organisation=partner,
        budget_share_percent=30,
        state=ConsortiumMember.State.ACCEPTED,
    )
    declined = OrganisationFactory(name="Said No Ltd")
    ConsortiumMember.objects.create(
        application=draft,
        organisation=declined,
        budget_share_percent=10,
        state=ConsortiumMember.State.DECLINED,
    )
    return signed_project(selected_in_a_confirmed_run(draft, by=staff), by=staff)


def active(project):
    return {
        (p.kind, p.name): p.share_percent
        for p in AgreementParty.objects.filter(project=project, state=PartyState.ACTIVE)
    }


def test_signing_makes_the_accepted_consortium_the_parties(project):
    assert active(project) == {
        (PartyKind.LEAD, "Haeundae Smart Mobility"): Decimal("70.00"),
        (PartyKind.MEMBER, "Sejong Urban Data Lab"): Decimal("30.00"),
    }


def test_a_local_share_adds_the_local_government_as_a_party(draft, staff):
    from competitions.models import Region
    from projects.models import Application

    Application.objects.filter(pk=draft.pk).update(
        local_government=50 * M, private_cash=100 * M, test_bed_region=Region.objects.get(slug="busan")
    )
    project = signed_project(
        selected_in_a_confirmed_run(Application.objects.get(pk=draft.pk), by=staff), by=staff
    )
    local = AgreementParty.objects.get(project=project, kind=PartyKind.LOCAL_GOVERNMENT)
    assert local.share_percent is None and "부산" in local.name and local.state == PartyState.ACTIVE


def members_change(project, by, members, reason="Hanbit builds the test bed"):
    return agreement_changes.request_change(project, by=by, kind="members", members=members, reason=reason)


def test_a_member_added_consents_before_staff_approve(
    project, applicant, staff, partner, newcomer, newcomer_user
):
    change = members_change(
        project, applicant, [(partner, "Data platform", "25"), (newcomer, "Test bed", "15")]
    )
    asked = AgreementParty.objects.get(added_by_change=change)
    assert (asked.state, asked.organisation, asked.share_percent) == (
        PartyState.ASKED,
        newcomer,
        Decimal("15.00"),
    )
    assert OutboxMessage.objects.filter(to="someone@newcomer.example").exists()
    # Staff cannot approve before the organisation said yes: nobody is added without asking.
    with pytest.raises(TransitionRefused) as refused:
        agreement_changes.decide_change(change, by=staff, approve=True)
    assert refused.value.reasons == [
        "Hanbit Construction has not consented to join: Asked to join, no answer yet."
    ]
    assert AgreementChange.objects.get(pk=change.pk).state == RequestState.REQUESTED
    # Only the organisation's own people answer for it.
    with pytest.raises(PermissionDenied):
        parties.respond(asked, by=applicant, accept=True)
    parties.respond(asked, by=newcomer_user, accept=True)
    agreement_changes.decide_change(change, by=staff, approve=True)
    assert active(project) == {
        (PartyKind.LEAD, "Haeundae Smart Mobility"): Decimal("60.00"),
        (PartyKind.MEMBER, "Sejong Urban Data Lab"): Decimal("25.00"),
        (PartyKind.MEMBER, "Hanbit Construction"): Decimal("15.00"),
    }
    change.refresh_from_db()
    assert {(row["kind"], row["share"]) for row in change.previous["members"]} == {
        ("lead", "70.00"),
        ("member", "30.00"),
    }
    transitions = set(StateLog.objects.for_(project).values_list("transition", flat=True))
    assert {"request_agreement_change", "respond_to_agreement", "decide_agreement_change"} <= transitions


def test_a_member_left_out_leaves_and_stays_on_record(project, applicant, staff, partner):
    change = members_change(project, applicant, [], reason="The lab withdrew")
    agreement_changes.decide_change(change, by=staff, approve=True)
    assert active(project) == {(PartyKind.LEAD, "Haeundae Smart Mobility"): Decimal("100.00")}
    gone = AgreementParty.objects.get(project=project, organisation=partner)
    assert (gone.state, gone.removed_by_change) == (
        PartyState.REMOVED,
        AgreementChange.objects.get(pk=change.pk),
    )


def test_a_declined_consent_or_change_adds_no_one(
    project, applicant, staff, partner, newcomer, newcomer_user
):
    change = members_change(project, applicant, [(partner, "", "30"), (newcomer, "", "10")])
    asked = AgreementParty.objects.get(added_by_change=change)
    parties.respond(asked, by=newcomer_user, accept=False, reason="Not this year")
    with pytest.raises(TransitionRefused):
        agreement_changes.decide_change(change, by=staff, approve=True)
    agreement_changes.decide_change(change, by=staff, approve=False, reason="Hanbit said no")
    asked.refresh_from_db()
    assert asked.state == PartyState.DECLINED
    with pytest.raises(TransitionRefused):  # answered once
        parties.respond(asked, by=newcomer_user, accept=True)
    other = members_change(project, applicant, [(partner, "", "30"), (newcomer, "", "10")])
    agreement_changes.decide_change(other, by=staff, approve=False, reason="Not now")
    assert AgreementParty.objects.get(added_by_change=other).state == PartyState.CANCELLED
    assert len(active(project)) == 2


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ("twice", "Sejong Urban Data Lab is listed twice."),
        ("lead", "Haeundae Smart Mobility leads the project; it is not listed as a member."),
        ("all", "The members' shares add up to 100 %; the lead must keep a share."),
        ("zero", "A member's share is more than 0 % and at most 100 %."),
        ("text", "A share is a percentage such as 12.5."),
    ],
)
def test_bad_member_lists_are_refused_and_change_nothing(
    project, applicant, partner, organisation, members, reason
):
    lists = {
        "twice": [(partner, "", "10"), (partner, "", "10")],
        "lead": [(organisation, "", "10")],
        "all": [(partner, "", "100")],
        "zero": [(partner, "", "0")],
        "text": [(partner, "", "ten")],
    }
    with pytest.raises(TransitionRefused) as refused:
        members_change(project, applicant, lists[members])
    assert refused.value.reasons == [reason]
    assert not AgreementChange.objects.exists() and AgreementParty.objects.count() == 2


def test_shares_that_do_not_add_up_are_refused_in_the_transaction(project, applicant, staff, partner):
    change = members_change(project, applicant, [(partner, "", "40")])
    # Something outside the change broke the shares (a faulty import): the approval is refused.
    AgreementParty.objects.filter(project=project, kind=PartyKind.LEAD).update(share_percent=Decimal("10"))
    change.proposed = {
        "members": [{"organisation": partner.pk, "role": "", "share": "40.00"}],
        "lead_share": "50.00",
    }
    change.save()
    with pytest.raises(TransitionRefused) as refused:
        agreement_changes.decide_change(change, by=staff, approve=True)
    assert refused.value.reasons == [
        "The shares of the lead and the members add up to 90 %; they must add up to 100 %."
    ]
    assert AgreementParty.objects.get(project=project, organisation=partner).share_percent == Decimal("30.00")


def test_the_project_pages_and_the_request_page_show_the_parties(
    project, applicant, staff, partner, newcomer, newcomer_user, client
):
    change = members_change(
        project, applicant, [(partner, "Data platform", "30"), (newcomer, "Test bed", "12.5")]
    )
    client.force_login(staff)
    page = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()
    assert "Parties to the agreement" in page and "Sejong Urban Data Lab" in page and "70 %" in page
    assert "Hanbit Construction 12.5 % (Test bed)" in page and "lead 57.5 %" in page
    client.force_login(applicant)
    page = client.get(reverse("projects:my_project", args=[project.pk])).content.decode()
    assert "Asked to join, no answer yet" in page
    client.force_login(newcomer_user)
    page = client.get(reverse("projects:requests")).content.decode()
    assert "Hanbit Construction is asked to join the agreement of" in page
    response = client.post(
        reverse("projects:agreement_respond", args=[AgreementParty.objects.get(added_by_change=change).pk]),
        {"answer": "accept"},
    )
    assert response.status_code == 302
    assert AgreementParty.objects.get(added_by_change=change).state == PartyState.CONSENTED
    client.force_login(applicant)  # not a member of the organisation asked: nothing to answer
    response = client.post(
        reverse("projects:agreement_respond", args=[AgreementParty.objects.get(added_by_change=change).pk]),
        {"answer": "decline"},
    )
    assert response.status_code == 404


def test_the_members_change_form_reads_registration_numbers(project, applicant, newcomer, client):
    client.force_login(applicant)
    url = reverse("projects:my_project", args=[project.pk])
    response = client.post(
        url,
        {
            "action": "change",
            "kind": "members",
            "reason": "Hanbit joins",
            "members": f"{newcomer.registration_number}; Test bed; 10 %",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    change = AgreementChange.objects.get()
    assert change.proposed == {
        "members": [{"organisation": newcomer.pk, "role": "Test bed", "share": "10.00"}],
        "lead_share": "90.00",
    }
    response = client.post(
        url, {"action": "change", "kind": "members", "reason": "x", "members": "123-45-67890; Test"}
    )
    assert "Line 1: write registration number; role; share." in response.content.decode()
    assert AgreementChange.objects.count() == 1


# --- the agreement summary PDF ------------------------------------------------------------------------


@pytest.fixture
def planned(project, staff, open_call):
    personnel = BudgetCategory.objects.create(
        call=open_call, code="personnel", name="Personnel", name_ko="인건비", position=0
    )
    indirect = BudgetCategory.objects.create(
        call=open_call, code="indirect", name="Indirect costs", name_ko="간접비", cap_percent=10, position=1
    )
    years.add_year(
        project,
        by=staff,
        starts_on=date(2026, 5, 1),
        ends_on=date(2026, 8, 31),
        national_subsidy=200 * M,
        total_cost=330 * M,
        plan={personnel: 180 * M, indirect: 20 * M},
    )
    years.add_year(
        project,
        by=staff,
        starts_on=date(2026, 9, 1),
        ends_on=date(2026, 11, 30),
        national_subsidy=100 * M,
        total_cost=170 * M,
        plan={personnel: 95 * M, indirect: 5 * M},
    )
    indicator = Indicator.objects.create(
        application=project.award.application,
        name="Daily users",
        name_ko="일 이용자 수",
        unit="persons",
        baseline=120,
        updated_by=staff,
    )
    IndicatorTarget.objects.create(indicator=indicator, year=1, target=300)
    IndicatorTarget.objects.create(indicator=indicator, year=2, target=450)
    return project


def test_the_agreement_summary_pdf_in_english(planned, applicant, client):
    client.force_login(applicant)
    response = client.get(reverse("projects:agreement_summary", args=[planned.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    for expected in [
        "Agreement summary",
        planned.code,
        "Haeundae Smart Mobility",
        "Sejong Urban Data Lab",
        "30 %",
        "70 %",
        "National subsidy 300,000,000 KRW",
        "Total project cost 500,000,000 KRW",
        "Year 1: 2026-05-01 – 2026-08-31",
        "Personnel 180,000,000 KRW",
        "Indirect costs (at most 10%) 20,000,000 KRW",
        "Year 2: 2026-09-01 – 2026-11-30",
        "95,000,000 KRW",
        "Daily users persons 120 300 450",
    ]:
        assert expected in text, (expected, text)


def test_the_agreement_summary_pdf_in_korean(planned, applicant, client):
    client.force_login(applicant)
    client.cookies["django_language"] = "ko"
    response = client.get(reverse("projects:agreement_summary", args=[planned.pk]), HTTP_ACCEPT_LANGUAGE="ko")
    text = " ".join(pdf_text(response.content).split())
    for expected in ["협약 요약", "협약 당사자", "인건비", "간접비", "일 이용자 수", "1차년도"]:
        assert expected in text, (expected, text)


def test_the_agreement_summary_is_for_the_parties_staff_and_auditors_only(
    planned, stranger, partner_user, staff, client, role_groups
):
    from accounts.roles import Role

    url = reverse("projects:agreement_summary", args=[planned.pk])
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    for user in (partner_user, staff, StaffFactory(is_staff=False, roles=[Role.AUDITOR])):
        client.force_login(user)
        assert client.get(url).status_code == 200, user
    client.logout()
    assert client.get(url).status_code == 302


def test_an_unverified_public_body_cannot_consent_yet(project, applicant, partner, role_groups):
    user = UserFactory(email="clerk@busan.example")
    city = OrganisationFactory(owners=[user], name="Busan City", kind="local_government", verified_at=None)
    change = members_change(project, applicant, [(partner, "", "30"), (city, "Test bed", "10")])
    asked = AgreementParty.objects.get(added_by_change=change)
    with pytest.raises(TransitionRefused) as refused:
        parties.respond(asked, by=user, accept=True)
    assert "verif" in refused.value.reasons[0].lower()
    asked.refresh_from_db()
    assert asked.state == PartyState.ASKED
