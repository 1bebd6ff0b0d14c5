"""Schedule pages: staff's and reviewer's at two sizes in the same number of queries; the
reviewer sees only their panel's slots, without names on a blind stage; the applicant sees its
own slot and asks for a change."""

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluation import scheduling
from evaluation.models import Assignment, ChangeRequest, Panel, StageSchedule
from tests.evaluation import test_scheduling
from tests.evaluation.test_scheduling import DAY, morning, new_reviewers
from tests.evaluation.test_stage_runs import staged  # noqa: F401

presenting = test_scheduling.presenting


def _page_queries(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit):
        response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("until", [time(10), time(12)])
def test_staff_schedule_page_keeps_its_queries(
    client, presenting, staff, until, django_assert_max_num_queries
):
    presentation, panel, _applications = presenting
    morning(panel, staff, until=until)
    scheduling.place(presentation, by=staff)
    client.force_login(staff)
    url = reverse("evaluation:schedule", args=[presentation.plan.call.slug, presentation.pk])
    response = _page_queries(client, url, django_assert_max_num_queries, 15)
    assert "301" in response.content.decode()


@pytest.mark.parametrize("until", [time(10), time(12)])
def test_reviewer_sees_only_their_panels_slots_and_no_names_when_blind(
    client, call, presenting, staff, until, django_assert_max_num_queries
):
    presentation, panel, applications = presenting
    presentation.blind = True
    presentation.save()
    morning(panel, staff, until=until)
    placed = scheduling.place(presentation, by=staff)
    other = Panel.objects.create(call=call, stage=presentation, name="Other")
    outsider = new_reviewers(1, "out")[0]
    other.reviewers.add(outsider)
    reviewer = panel.reviewers.first()
    assignment = Assignment.objects.create(application=applications[0], reviewer=reviewer, stage=presentation)
    client.force_login(reviewer.user)
    response = _page_queries(client, reverse("evaluation:my_reviews"), django_assert_max_num_queries, 30)
    page = response.content.decode().split('id="schedule"')[1].split("</section>")[0]
    assert applications[0].reference in page and applications[0].lead.name not in page
    assert reverse("evaluation:review_form", args=[assignment.pk]) in page
    client.force_login(outsider.user)
    page = client.get(reverse("evaluation:my_reviews")).content.decode()
    assert 'id="schedule"' not in page and all(a.reference not in page for a in placed)


def test_applicant_sees_its_slot_and_asks_for_a_change(client, presenting, staff):
    presentation, panel, applications = presenting
    morning(panel, staff)
    StageSchedule.objects.create(stage=presentation, changes_until=timezone.now() + timedelta(days=1))
    placed = scheduling.place(presentation, by=staff)
    slot = placed[applications[0]]
    applicant = applications[0].lead.members.first()
    client.force_login(applicant)
    page = client.get(reverse("projects:application_detail", args=[applications[0].pk])).content.decode()
    assert "2026-07-01 " in page and "301" in page
    other_slot = placed[applications[1]]
    assert (
        client.post(reverse("evaluation:slot_change", args=[other_slot.pk]), {"reason": "x"}).status_code
        == 404
    )
    response = client.post(reverse("evaluation:slot_change", args=[slot.pk]), {"reason": "Abroad that day."})
    assert response.status_code == 302
    assert ChangeRequest.objects.get().application == applications[0]


def test_staff_bad_input_gets_a_message_not_an_error(client, presenting, staff):
    presentation, panel, _applications = presenting
    client.force_login(staff)
    url = reverse("evaluation:schedule", args=[presentation.plan.call.slug, presentation.pk])
    response = client.post(
        url,
        {"action": "create", "panel": panel.pk, "day": "tomorrow", "start": "9", "until": "x"},
        follow=True,
    )
    assert "Give the date (YYYY-MM-DD) and the times (HH:MM)." in response.content.decode()
    response = client.post(
        url,
        {"action": "create", "panel": panel.pk, "day": DAY.isoformat(), "start": "09:00", "until": "10:00",
         "every": "20", "duration": "20", "room": "301"},
        follow=True,
    )  # fmt: skip
    assert "3 slots created." in response.content.decode()


def test_staff_see_every_change_request_and_decline_one_the_applicant_then_sees(client, presenting, staff):
    presentation, panel, applications = presenting
    morning(panel, staff)
    StageSchedule.objects.create(stage=presentation, changes_until=timezone.now() + timedelta(days=1))
    placed = scheduling.place(presentation, by=staff)
    applicant = applications[0].lead.members.first()
    change = scheduling.request_change(placed[applications[0]], by=applicant, reason="Abroad that day.")
    client.force_login(staff)
    url = reverse("evaluation:schedule", args=[presentation.plan.call.slug, presentation.pk])
    page = client.get(url).content.decode()
    assert "Abroad that day." in page and "1 request waits for an answer" in page
    response = client.post(url, {"action": "decline", "request": change.pk, "reason": " "})
    assert response.status_code == 200  # the page again, with the reason for the refusal
    assert "Give the reason for declining the request" in response.content.decode()
    assert ChangeRequest.objects.get().state == ChangeRequest.State.OPEN
    response = client.post(
        url, {"action": "decline", "request": change.pk, "reason": "No other slot is free."}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "No other slot is free." in page and "0 requests wait" in page
    client.force_login(applicant)
    page = client.get(reverse("projects:application_detail", args=[applications[0].pk])).content.decode()
    assert "Your change requests" in page and "Declined" in page and "No other slot is free." in page


def test_a_refused_slot_creation_keeps_what_was_typed(client, presenting, staff):
    presentation, panel, _applications = presenting
    client.force_login(staff)
    url = reverse("evaluation:schedule", args=[presentation.plan.call.slug, presentation.pk])
    response = client.post(
        url,
        {"action": "create", "panel": panel.pk, "day": DAY.isoformat(), "start": "09:00", "until": "10:00",
         "every": "10", "duration": "20", "room": "Room 7"},
    )  # fmt: skip
    page = response.content.decode()
    assert "they would overlap" in page
    assert 'value="Room 7"' in page and 'value="10"' in page and f'value="{DAY.isoformat()}"' in page
