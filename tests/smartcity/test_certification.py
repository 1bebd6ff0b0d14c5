"""Certification's rules: apply → assess → pass → numbered certificate → suspend, reinstate,
revoke, renew; a fail below a threshold; refusals that change nothing; every step logged."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_fsm_log.models import StateLog
from hypothesis import given
from hypothesis import strategies as st

from competitions.lifecycle import TransitionRefused
from smartcity import certification
from smartcity.models import (
    Certificate,
    CertificateState,
    CertificationApplication,
    CertificationApplicationState,
    CertifiedService,
)
from tests.factories import OrganisationFactory, StaffFactory, UserFactory, signed_project

from .certification_world import (
    apply_for_service,
    assessors,
    certified,
    city_round,
    evidence,
    reviewer,
    score_all,
    service_round,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


@pytest.fixture
def owner(db):
    return UserFactory()


def test_the_index_is_seeded_for_both_kinds_with_its_three_categories():
    from smartcity.models import CertificationIndex

    for index in CertificationIndex.objects.all():
        names = [c.name for c in index.categories.all()]
        assert names == ["Service · technology infrastructure", "Governance · institution", "Innovation"]
        assert index.max_points == 100
    assert set(CertificationIndex.objects.values_list("kind", flat=True)) == {"service", "city"}


def test_a_service_passes_and_gets_a_gapless_numbered_certificate(staff, owner):
    round = service_round(staff, validity_years=3)
    application, certificate = certified(round, staff, owner)
    assert application.state == CertificationApplicationState.PASSED
    # The evidence is stored under a random name; its own name is kept for the download.
    assert application.evidence_name == "evidence.pdf" and "evidence" not in application.evidence.name
    year = timezone.localdate().year
    assert certificate.number == f"SC-S-{year}-0001"
    assert certificate.valid_until == certification.add_years(certificate.valid_from, 3) - timedelta(days=1)
    assert certificate.total_points == 90
    service = certificate.certified_service
    assert service.menu_item == application.menu_item
    assert list(service.menu_item.certified_services.currently_certified()) == [service]
    _second, other = certified(round, staff, UserFactory())
    assert other.number == f"SC-S-{year}-0002"
    transitions = set(
        StateLog.objects.filter(
            object_id=application.pk, content_type__model="certificationapplication"
        ).values_list("transition", flat=True)
    )
    assert transitions == {"submit", "start_assessment", "certify"}
    assert StateLog.objects.filter(object_id=certificate.pk, transition="issue", by=staff).exists()


def test_city_numbers_run_apart_from_service_numbers(staff, owner):
    city = OrganisationFactory(owners=[owner], kind="local_government", name="Sejong")
    round = city_round(staff, min_assessors=1)
    application = certification.apply(
        round, organisation=city, by=owner, title="세종시", description="도시 전체", evidence=evidence()
    )
    person = reviewer()
    certification.assign_assessors(application, [person], by=staff)
    score_all(application, [person], 0.8)
    application, certificate = certification.decide(application, by=staff)
    assert certificate.number.startswith("SC-C-") and certificate.number.endswith("-0001")
    assert certificate.certified_service is None


def test_one_category_below_its_threshold_fails_even_with_a_high_total(staff, owner):
    round = service_round(staff, min_assessors=1)
    application = apply_for_service(round, owner)
    person = reviewer()
    certification.assign_assessors(application, [person], by=staff)
    index = round.index
    points = {}
    for category in index.categories.all():
        for item in category.items.all():
            # Innovation gets half (15 < 18); the others full: total 85 ≥ 70.
            points[item.pk] = item.max_points // 2 if category.name == "Innovation" else item.max_points
    certification.submit_assessment(application.assessments.get(), points, by=person)
    application, certificate = certification.decide(application, by=staff)
    assert certificate is None
    assert application.state == CertificationApplicationState.FAILED
    assert "Innovation" in application.decision_reason and "18" in application.decision_reason
    assert not CertifiedService.objects.exists()


def test_below_the_overall_threshold_fails(staff, owner):
    round = service_round(staff)
    application, certificate = certified(round, staff, owner, share=0.62)
    assert certificate is None and application.state == CertificationApplicationState.FAILED


def test_decide_waits_for_the_minimum_number_of_assessments(staff, owner):
    round = service_round(staff)
    application = apply_for_service(round, owner)
    people = assessors(3)
    certification.assign_assessors(application, people, by=staff)
    score_all(application, people[:2], 1.0)
    with pytest.raises(TransitionRefused, match="2 of the 3"):
        certification.decide(application, by=staff)
    assert (
        CertificationApplication.objects.get(pk=application.pk).state
        == CertificationApplicationState.UNDER_ASSESSMENT
    )


def test_suspend_reinstate_and_revoke_with_reasons_logged(staff, owner):
    round = service_round(staff)
    _application, certificate = certified(round, staff, owner)
    service = certificate.certified_service
    with pytest.raises(TransitionRefused):
        certification.suspend(certificate, by=staff, reason=" ")
    certificate = certification.suspend(certificate, by=staff, reason="Data breach under investigation")
    assert certificate.state == CertificateState.SUSPENDED
    assert not CertifiedService.objects.currently_certified().exists()
    assert CertifiedService.objects.listed().get() == service
    certificate = certification.reinstate(certificate, by=staff, reason="Investigation closed")
    assert CertifiedService.objects.currently_certified().get() == service
    certificate = certification.revoke(certificate, by=staff, reason="False evidence")
    assert certificate.state == CertificateState.REVOKED
    assert not CertifiedService.objects.listed().exists()
    with pytest.raises(TransitionRefused):
        certification.reinstate(certificate, by=staff, reason="Mistake")
    logs = list(
        StateLog.objects.filter(object_id=certificate.pk, content_type__model="certificate")
        .order_by("pk")
        .values_list("transition", "description")
    )
    assert logs[1:] == [
        ("suspend", "Data breach under investigation"),
        ("reinstate", "Investigation closed"),
        ("revoke", "False evidence"),
    ]


def test_only_staff_change_a_certificate(staff, owner):
    round = service_round(staff)
    _application, certificate = certified(round, staff, owner)
    with pytest.raises(PermissionDenied):
        certification.suspend(certificate, by=owner, reason="mine")


def test_an_expired_certificate_is_not_current(staff, owner):
    round = service_round(staff, validity_years=1)
    _application, certificate = certified(round, staff, owner)
    later = certificate.valid_until + timedelta(days=1)
    assert not CertifiedService.objects.currently_certified(today=later).exists()
    assert CertifiedService.objects.currently_certified(today=certificate.valid_until).exists()


def test_renewal_issues_a_new_certificate_linked_to_the_previous(staff, owner):
    round = service_round(staff)
    application, first = certified(round, staff, owner)
    renewal = apply_for_service(round, owner, organisation=application.organisation, renews=first)
    people = assessors(3)
    certification.assign_assessors(renewal, people, by=staff)
    score_all(renewal, people, 0.8)
    _renewal, second = certification.decide(renewal, by=staff)
    first = Certificate.objects.get(pk=first.pk)
    assert second.previous == first and first.state == CertificateState.RENEWED
    assert second.certified_service == first.certified_service
    assert CertifiedService.objects.currently_certified().count() == 1


def test_someone_else_cannot_renew_a_certificate(staff, owner):
    round = service_round(staff)
    _application, first = certified(round, staff, owner)
    with pytest.raises(TransitionRefused, match="holder"):
        apply_for_service(round, UserFactory(), renews=first)


def test_refusals_store_nothing(staff, owner):
    now = timezone.now()
    closed = service_round(staff, opens_at=now - timedelta(days=10), closes_at=now - timedelta(days=1))
    with pytest.raises(TransitionRefused) as refused:
        apply_for_service(closed, owner, menu_item=None, evidence=evidence("evidence.docx"))
    assert len(refused.value.reasons) == 3  # closed round, no menu item, a PDF named .docx
    city = OrganisationFactory(owners=[owner], kind="local_government")
    with pytest.raises(TransitionRefused, match="Only a company"):
        apply_for_service(service_round(staff), owner, organisation=city)
    with pytest.raises(PermissionDenied):
        apply_for_service(service_round(staff), UserFactory(), organisation=OrganisationFactory())
    assert not CertificationApplication.objects.exists()


def test_assessors_score_within_the_index_and_only_once(staff, owner):
    round = service_round(staff, min_assessors=1)
    application = apply_for_service(round, owner)
    person, stranger = reviewer(), UserFactory()
    certification.assign_assessors(application, [person], by=staff)
    assessment = application.assessments.get()
    items = [i for c in round.index.categories.all() for i in c.items.all()]
    with pytest.raises(PermissionDenied):
        certification.submit_assessment(assessment, {i.pk: 1 for i in items}, by=stranger)
    too_many = {i.pk: i.max_points + 1 for i in items}
    with pytest.raises(TransitionRefused, match="between 0 and"):
        certification.submit_assessment(assessment, too_many, by=person)
    certification.submit_assessment(assessment, {i.pk: 1 for i in items}, by=person)
    with pytest.raises(TransitionRefused, match="already"):
        certification.submit_assessment(assessment, {i.pk: 1 for i in items}, by=person)
    with pytest.raises(TransitionRefused, match="not in the reviewer pool"):
        certification.assign_assessors(application, [owner], by=staff)


def test_a_pilot_project_links_to_its_certificate(staff, owner):
    from tests.factories import ApplicationFactory, CallFactory, TrackFactory

    round = service_round(staff)
    application, certificate = certified(round, staff, owner)
    call = CallFactory()
    TrackFactory(call=call)
    pilot = ApplicationFactory(
        call=call,
        lead=application.organisation,
        created_by=owner,
        state="selected",
        accepted_at=timezone.now(),
    )
    project = signed_project(pilot, by=staff)
    link = certification.link_project(project, certificate, by=staff)
    assert list(certificate.project_links.all()) == [link]
    assert StateLog.objects.filter(object_id=certificate.pk, transition="link_project").exists()


@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=5),
    st.integers(0, 200),
)
def test_the_pass_rule_is_every_threshold_and_the_total(pairs, overall):
    from decimal import Decimal

    points = [(Decimal(p), t) for p, t in pairs]
    total = sum(p for p, _t in points)
    result = certification.passes(points, total, overall)
    assert result == (all(p >= t for p, t in points) and total >= overall)
    # Lowering any category below its threshold always fails.
    if result and points[0][1] > 0:
        lowered = [(Decimal(points[0][1] - 1), points[0][1]), *points[1:]]
        assert not certification.passes(lowered, total, overall)


def test_add_years_handles_29_february():
    assert certification.add_years(date(2028, 2, 29), 3) == date(2031, 2, 28)
