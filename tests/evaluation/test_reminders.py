"""Reviewer reminders (beat, hourly): due soon or late → once a day; no due date → after a week
of waiting, once a week; submitted reviews and other calls' reviewers are left alone; the staff
button and the beat share the once-a-day record; submitting a review e-mails a receipt."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.system import SYSTEM_EMAIL
from evaluation import reviewing
from evaluation.models import Assignment, Criterion, EvaluationPlan, ReviewReminder
from projects.models import OutboxMessage
from tests.factories import cleared_to_score

pytestmark = pytest.mark.django_db


def reviewers_with_pending(call):
    return set(
        Assignment.objects.filter(application__call=call, state="active")
        .exclude(review__state="submitted")
        .values_list("reviewer__user__email", flat=True)
    )


def due(call, when):
    EvaluationPlan.objects.filter(call=call).update(review_due_at=when)


def test_reviews_due_in_two_days_are_reminded_once_a_day(call, assigned):
    # Noon in Seoul: "an hour later" must fall on the same Seoul day whenever the test runs.
    now = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    due(call, now + timedelta(days=2))
    pending = reviewers_with_pending(call)
    # Each reviewer reads the reminder in the language of their account page.
    korean, *english = sorted(pending)
    User.objects.filter(email__in=english).update(language="en")
    User.objects.filter(email=korean).update(language="ko")
    assert reviewing.remind_reviewers(now=now) == len(pending) == 7
    assert set(OutboxMessage.objects.values_list("to", flat=True)) == pending
    message = OutboxMessage.objects.filter(to=english[0]).get()
    assert "Reminder: reviews waiting in" in message.subject and "due by" in message.body
    message = OutboxMessage.objects.filter(to=korean).get()
    assert message.subject.startswith("[독촉 알림]") and "평가서 제출 기한은" in message.body
    # the hourly beat again the same day: nobody twice
    assert reviewing.remind_reviewers(now=now + timedelta(hours=1)) == 0
    assert OutboxMessage.objects.count() == 7
    # the next day (still pending, now closer to the due date): once more each
    assert reviewing.remind_reviewers(now=now + timedelta(days=1)) == 7
    reminder = ReviewReminder.objects.order_by("pk").first()
    assert reminder.sent_by.email == SYSTEM_EMAIL and reminder.pending >= 1


def test_no_reminder_while_the_due_date_is_far(call, assigned):
    now = timezone.now()
    due(call, now + timedelta(days=10))
    assert reviewing.remind_reviewers(now=now) == 0
    assert reviewing.remind_reviewers(now=now + timedelta(days=7, hours=1)) == 7  # 3 days before


def test_late_reviews_keep_being_reminded_daily(call, assigned):
    now = timezone.now()
    due(call, now - timedelta(days=1))
    assert reviewing.remind_reviewers(now=now) == 7
    assert reviewing.remind_reviewers(now=now + timedelta(days=1)) == 7


def test_submitted_reviews_are_not_reminded(call, assigned):
    now = timezone.now()
    due(call, now + timedelta(days=1))
    assignment = Assignment.objects.filter(application=assigned[0]).first()
    reviewer = assignment.reviewer
    User.objects.filter(pk=reviewer.user_id).update(language="en")
    reviewer.user.refresh_from_db()
    entries = {c: (str(c.max_points), "") for c in Criterion.objects.filter(plan__call=call)}
    for own in Assignment.objects.filter(reviewer=reviewer, state="active"):
        reviewing.save_review(cleared_to_score(own), entries, by=reviewer.user, submit=True)
    receipts = OutboxMessage.objects.filter(to=reviewer.user.email, subject__startswith="Review submitted")
    assert receipts.count() == Assignment.objects.filter(reviewer=reviewer, state="active").count()
    assert reviewing.remind_reviewers(now=now) == 6
    assert not ReviewReminder.objects.filter(reviewer=reviewer).exists()


def test_without_a_due_date_a_week_of_waiting_then_weekly(call, assigned):
    now = timezone.now()
    due(call, None)
    assert reviewing.remind_reviewers(now=now) == 0  # just assigned
    assert reviewing.remind_reviewers(now=now + timedelta(days=7, minutes=1)) == 7
    message = OutboxMessage.objects.order_by("pk").first()
    assert "due by" not in message.body
    assert reviewing.remind_reviewers(now=now + timedelta(days=10)) == 0
    assert reviewing.remind_reviewers(now=now + timedelta(days=14, minutes=2)) == 7


def test_the_staff_button_and_the_beat_share_the_daily_record(client, call, assigned, staff):
    due(call, timezone.now() + timedelta(days=1))
    client.force_login(staff)
    response = client.post(reverse("evaluation:remind", args=[call.slug]), follow=True)
    assert "Reminders sent to 7 reviewer(s)." in response.content.decode()
    assert ReviewReminder.objects.filter(sent_by=staff).count() == 7
    assert reviewing.remind_reviewers() == 0  # already reminded today
    response = client.post(reverse("evaluation:remind", args=[call.slug]), follow=True)
    assert "Reminders sent to 0 reviewer(s)." in response.content.decode()
    assert OutboxMessage.objects.count() == 7


def test_calls_not_in_evaluation_are_not_reminded(call, assigned):
    from competitions.models import Call, CallState

    due(call, timezone.now())
    Call.objects.filter(pk=call.pk).update(state=CallState.RESULTS_PUBLISHED)
    assert reviewing.remind_reviewers() == 0


def test_the_beat_schedule_runs_the_reminders_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["remind-reviewers"]
    assert entry == {"task": "evaluation.tasks.remind_reviewers", "schedule": 3600.0}
    from config.celery import app

    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
