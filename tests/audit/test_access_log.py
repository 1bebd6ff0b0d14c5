"""The access log (issue 18): document opens, workbook downloads, admin exports, log-ins and
failures, role changes; append-only; read by auditors on a filtered, paginated page in constant
queries; pruned after the retention period, its only deletion."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role, group_for
from audit.access import prune_access_log
from audit.models import AccessEvent, AccessLogIsAppendOnly, ExportJob
from competitions.models import Call
from evaluation.models import Reviewer
from tests.audit.test_imports import export
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
Action = AccessEvent.Action


@pytest.fixture
def auditor(role_groups):
    return UserFactory(roles=[Role.AUDITOR], email="auditor@audit.example")


def events(action):
    return list(AccessEvent.objects.filter(action=action).order_by("pk"))


def test_a_log_in_and_a_failed_one_are_recorded_with_the_address(client, role_groups):
    user = UserFactory(email="minji@company.example")
    client.post(
        reverse("accounts:login"),
        {"username": "minji@company.example", "password": "wrong-password"},
        REMOTE_ADDR="203.0.113.9",
    )
    client.post(reverse("accounts:login"), {"username": "nobody@company.example", "password": "x"})
    client.post(
        reverse("accounts:login"),
        {"username": "minji@company.example", "password": "correct-horse-battery"},
        REMOTE_ADDR="203.0.113.9",
    )
    failed = events(Action.LOGIN_FAILED)
    assert [(event.actor, event.actor_email) for event in failed] == [
        (user, "minji@company.example"),
        (None, "nobody@company.example"),
    ]
    assert failed[0].ip_address == "203.0.113.9"
    [logged_in] = events(Action.LOGGED_IN)
    assert (logged_in.actor, logged_in.ip_address) == (user, "203.0.113.9")


def test_who_changed_whose_roles_is_recorded_from_either_side(client, role_groups, staff_user):
    person = UserFactory(email="person@company.example")
    AccessEvent.objects.all()._raw_delete(AccessEvent.objects.db)  # the factories' own entries
    person.groups.add(group_for(Role.AUDITOR))
    group_for(Role.REVIEWER).user_set.add(person)
    person.groups.remove(group_for(Role.AUDITOR))
    person.is_staff = True
    person.save()
    person.save(update_fields=["last_login"])  # not a role change
    changes = events(Action.ROLES_CHANGED)
    assert [(event.subject, event.actor) for event in changes] == [(person, None)] * 4
    assert changes[0].detail == {"groups": {"added": ["auditor"]}}
    assert changes[1].detail == {"groups": {"added": ["reviewer"]}}
    assert changes[2].detail == {"groups": {"removed": ["auditor"]}}
    assert changes[3].detail == {"flags": {"is_staff": [False, True]}}
    assert changes[0].actor_email == "system"


def test_a_role_change_in_the_admin_names_who_made_it(client, role_groups):
    superuser = UserFactory(is_staff=True, is_superuser=True, email="root@gongmo.example")
    person = UserFactory(email="person@company.example")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:accounts_user_change", args=[person.pk]),
        {
            "email": person.email,
            "first_name": "",
            "last_name": "",
            "language": "en",
            "is_active": "on",
            "is_staff": "on",
            "groups": [Group.objects.get(name=Role.STAFF.value).pk],
            "date_joined_0": "2025-01-01",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code in (200, 302)
    changes = [
        event
        for event in events(Action.ROLES_CHANGED)
        if event.subject == person and event.actor == superuser
    ]
    if response.status_code == 200:  # the admin's form asks for more fields: say which
        pytest.fail(str(response.context["adminform"].form.errors))
    assert {tuple(event.detail) for event in changes} == {("flags",), ("groups",)}


def test_opening_a_document_and_downloading_a_workbook_are_recorded(client, auditor, settings, tmp_path):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path / "media"
    job = ExportJob.objects.create(
        requested_by=auditor, status=ExportJob.Status.DONE, finished_at=timezone.now()
    )
    job.file.save("book.xlsx", ContentFile(b"PK..."))
    client.force_login(auditor)
    response = client.get(reverse("audit:download", args=[job.token]))
    assert response.status_code == 200
    [event] = events(Action.WORKBOOK_DOWNLOADED)
    assert (event.actor, event.target) == (auditor, job.file.name.rsplit("/", 1)[-1])
    assert event.detail["arguments"] == {"token": str(job.token)}


def test_an_admin_export_is_recorded_with_the_list(client, auditor):
    auditor.is_staff = True
    auditor.save()
    client.force_login(auditor)
    response = export(client, Call, ["slug", "title"], kind="csv")
    assert response.status_code == 200
    [event] = events(Action.ADMIN_EXPORT)
    assert event.actor == auditor
    assert event.detail["view"] == "admin:competitions_call_export"
    assert event.target.endswith(".csv")


def test_the_log_cannot_be_changed_or_deleted(role_groups):
    event = AccessEvent.objects.create(action=Action.LOGGED_IN, actor_email="a@b.example")
    event.target = "rewritten"
    with pytest.raises(AccessLogIsAppendOnly):
        event.save()
    with pytest.raises(AccessLogIsAppendOnly):
        event.delete()
    with pytest.raises(AccessLogIsAppendOnly):
        AccessEvent.objects.filter(pk=event.pk).update(target="x")
    with pytest.raises(AccessLogIsAppendOnly):
        AccessEvent.objects.all().delete()
    assert AccessEvent.objects.get(pk=event.pk).target == ""


def test_the_admin_shows_it_read_only(client, role_groups):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    event = AccessEvent.objects.create(action=Action.LOGGED_IN, actor_email="a@b.example")
    client.force_login(superuser)
    assert client.get(reverse("admin:audit_accessevent_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_accessevent_add")).status_code == 403
    assert (
        client.post(reverse("admin:audit_accessevent_delete", args=[event.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert AccessEvent.objects.filter(pk=event.pk).exists()


def test_retention_prunes_only_older_entries(role_groups, settings):
    settings.ACCESS_LOG_RETENTION_DAYS = 30
    now = timezone.now()
    old = AccessEvent.objects.create(action=Action.LOGGED_IN, at=now - timedelta(days=31))
    kept = AccessEvent.objects.create(action=Action.LOGGED_IN, at=now - timedelta(days=29))
    assert prune_access_log(now) == 1
    assert set(AccessEvent.objects.filter(pk__in=[old.pk, kept.pk])) == {kept}
    AccessEvent.objects.create(action=Action.LOGGED_IN, at=now - timedelta(days=40))
    call_command("prune_access_log", stdout=__import__("io").StringIO())
    assert not AccessEvent.objects.filter(at__lt=now - timedelta(days=30)).exists()


def test_auditors_read_it_filtered_and_reviewers_only_by_code(client, auditor):
    reviewer_user = UserFactory(email="professor@univ.example", roles=[Role.REVIEWER])
    Reviewer.objects.create(user=reviewer_user, code="R-007")
    AccessEvent.objects.create(action=Action.LOGGED_IN, actor=reviewer_user, actor_email=reviewer_user.email)
    AccessEvent.objects.create(action=Action.LOGIN_FAILED, actor_email="guess@x.example")
    client.force_login(auditor)
    url = reverse("audit:access_log")
    page = client.get(url).content.decode()
    assert "R-007" in page and "professor@univ.example" not in page
    assert "guess@x.example" in page
    filtered = client.get(url, {"action": "login_failed"}).content.decode()
    assert "guess@x.example" in filtered and "R-007" not in filtered
    assert "R-007" in client.get(url, {"who": "R-007"}).content.decode()
    # An address must not reveal whose code it is.
    assert "R-007" not in client.get(url, {"who": "professor@univ.example"}).content.decode()
    bad = client.get(url, {"since": "2025-02-01", "until": "2025-01-01"})
    assert "The first date is after the last." in bad.content.decode()


def test_nobody_but_auditors_reads_it(client, role_groups):
    client.force_login(StaffFactory())
    assert client.get(reverse("audit:access_log")).status_code == 403


def test_the_page_reads_in_constant_queries(client, auditor, django_assert_max_num_queries):
    client.force_login(auditor)
    url = reverse("audit:access_log")
    for count in (3, 60):
        people = [UserFactory() for _ in range(count)]
        for person in people:
            AccessEvent.objects.create(
                action=Action.ROLES_CHANGED,
                actor=auditor,
                subject=person,
                detail={"groups": {"added": ["x"]}},
            )
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == 200
