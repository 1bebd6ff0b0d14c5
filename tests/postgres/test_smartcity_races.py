"""Smart-city writes at once. Two certification decisions at once, the first of their kind this year: the counter row
(created by the first, locked by both) gives each its own number, gapless, and the same
application decided twice at once is certified once."""

import pytest
from django.utils import timezone

from competitions.lifecycle import TransitionRefused
from smartcity import certification
from smartcity.models import Certificate, CertificationApplication
from tests.factories import OrganisationFactory, StaffFactory, UserFactory
from tests.postgres.test_concurrency import race
from tests.smartcity.certification_world import apply_for_service, assessors, score_all, service_round


def assessed(round, staff, name):
    owner = UserFactory()
    application = apply_for_service(round, owner, OrganisationFactory(owners=[owner], name=name))
    people = assessors(round.min_assessors)
    certification.assign_assessors(application, people, by=staff)
    score_all(application, people, 0.9)
    return CertificationApplication.objects.get(pk=application.pk)


def test_two_first_certificates_of_the_year_at_once_get_numbers_one_and_two(role_groups):
    staff = StaffFactory()
    round = service_round(staff, min_assessors=1)
    first, second = assessed(round, staff, "First Co"), assessed(round, staff, "Second Co")

    outcomes = race(
        [lambda: certification.decide(first, by=staff), lambda: certification.decide(second, by=staff)]
    )
    assert [kind for kind, _value in outcomes] == ["ok", "ok"], outcomes
    year = timezone.localdate().year
    assert sorted(Certificate.objects.values_list("number", flat=True)) == [
        f"SC-S-{year}-0001",
        f"SC-S-{year}-0002",
    ]


def test_one_application_decided_twice_at_once_is_certified_once(role_groups):
    staff = StaffFactory()
    round = service_round(staff, min_assessors=1)
    application = assessed(round, staff, "Only Co")

    outcomes = race([lambda: certification.decide(application, by=staff)] * 2)
    kinds = sorted(kind for kind, _value in outcomes)
    assert kinds == ["error", "ok"], outcomes
    [error] = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, TransitionRefused)
    assert Certificate.objects.count() == 1


def test_a_package_line_changed_in_two_tabs_at_once_is_changed_once(role_groups):
    """Two planners of the city change the same line at once: the package row lock serializes
    them; the second finds the line already replaced and is refused; one replacement exists."""
    from smartcity import menu
    from smartcity.models import PackageLine, UnitCost

    planner, colleague = UserFactory(), UserFactory()
    city = OrganisationFactory(
        name="시흥시", kind="local_government", government_level="basic", owners=[planner, colleague]
    )
    package = menu.create_package(city, "스마트 주차", by=planner)
    line = menu.add_line(package, UnitCost.objects.get(name="Smart parking"), 20, None, by=planner)

    outcomes = race(
        [
            lambda: menu.change_line(line, 30, None, by=planner),
            lambda: menu.change_line(line, 40, None, by=colleague),
        ]
    )
    kinds = sorted(kind for kind, _value in outcomes)
    assert kinds == ["error", "ok"], outcomes
    [error] = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, TransitionRefused) and "already been changed" in str(error)
    current = PackageLine.objects.filter(package=package, superseded_at__isnull=True)
    assert current.count() == 1 and current.get().quantity in (30, 40)
    assert PackageLine.objects.filter(package=package).count() == 2


def test_an_assessment_waits_for_an_edit_of_its_index_in_progress(role_groups):
    """An index is editable until a submitted assessment freezes it, and it is edited under its
    row's lock (``revise_index``). A submission locks it too (with the application), so it waits for an edit in
    progress and scores the index as edited, and an edit after it finds the index frozen:
    never a score of a removed sub-category, never an edited frozen index."""
    import threading

    from django.db import connection, transaction

    from smartcity import certification_versions as versions
    from smartcity.models import AssessmentScore, CertificationIndex, IndexItem

    staff = StaffFactory()
    round = service_round(staff, min_assessors=1)
    index = round.index
    application = assessed_by_none(round, staff)
    [person] = assessors(1)
    certification.assign_assessors(application, [person], by=staff)
    assessment = application.assessments.get(assessor=person)
    items = list(IndexItem.objects.filter(category__index=index))
    removed = items[-1]
    outcome = []

    def submit():
        try:
            certification.submit_assessment(assessment, {item.pk: 1 for item in items}, by=person)
            outcome.append("ok")
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            outcome.append(exc)
        finally:
            connection.close()

    submission = threading.Thread(target=submit)
    with transaction.atomic():  # an edit in progress: the index locked, a sub-category removed
        CertificationIndex.objects.select_for_update().get(pk=index.pk)
        IndexItem.objects.filter(pk=removed.pk).delete()
        submission.start()
        submission.join(timeout=1.5)
        assert submission.is_alive(), outcome  # waiting for the edit to end
    submission.join(timeout=30)
    assert outcome == ["ok"]
    scored = set(AssessmentScore.objects.filter(assessment=assessment).values_list("item_id", flat=True))
    assert scored == {item.pk for item in items} - {removed.pk}
    with pytest.raises(TransitionRefused, match="can no longer be edited"):
        versions.revise_index(index, by=staff, name=index.name, name_ko=index.name_ko, overall_threshold=0)


def assessed_by_none(round, staff):
    owner = UserFactory()
    return apply_for_service(round, owner, OrganisationFactory(owners=[owner], name="Waiting Co"))
