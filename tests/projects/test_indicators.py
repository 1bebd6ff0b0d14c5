"""Performance indicators (projects.indicators): proposed on the draft (validated, kept, frozen
at submission), required by the call before submission, reported with evidence, shown target
against actual on the project pages and the call's dashboard (constant queries), and followed up
after the project ends with reminders in each reader's language."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from competitions.lifecycle import TransitionRefused
from projects import indicators, reports, workflow
from projects.indicators import IndicatorRow
from projects.models import (
    Application,
    ApplicationState,
    Indicator,
    IndicatorActual,
    IndicatorSettings,
    OutboxMessage,
    Report,
)
from tests.factories import ApplicationFactory, OrganisationFactory, StaffFactory, UserFactory, signed_project

from .samples import pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(role_groups):
    return StaffFactory()


@pytest.fixture
def required(open_call):
    return IndicatorSettings.objects.create(
        call=open_call, min_indicators=2, project_years=2, follow_up_years=3
    )


def row(
    name_ko="실증 서비스 이용자 수",
    name="Service users",
    unit="명",
    baseline="0",
    targets=("100", "250"),
    pk=None,
    remove=False,
):
    return IndicatorRow(
        pk=pk,
        name=name,
        name_ko=name_ko,
        unit=unit,
        baseline=Decimal(baseline),
        targets={year: Decimal(t) for year, t in enumerate(targets, 1)},
        remove=remove,
    )


def propose(application, user, rows):
    application = Application.objects.get(pk=application.pk)
    return workflow.save_draft(
        application, {}, by=user, expected_version=application.version, indicators=rows
    )


def form_data(application, rows, initial=0):
    data = {
        "version": application.version,
        "title": application.title,
        "summary": "",
        "track": application.track_id,
        "requested_subsidy": application.requested_subsidy,
        "local_government": application.local_government,
        "private_cash": application.private_cash,
        "private_in_kind": application.private_in_kind,
        "indicators-TOTAL_FORMS": len(rows),
        "indicators-INITIAL_FORMS": initial,
        "indicators-MIN_NUM_FORMS": 0,
        "indicators-MAX_NUM_FORMS": 50,
    }
    for n, values in enumerate(rows):
        data.update({f"indicators-{n}-{key}": value for key, value in values.items()})
    return data


# --- the draft ----------------------------------------------------------------------------------


def test_indicators_are_kept_with_the_draft_and_shown_again(client, applicant, draft, required):
    client.force_login(applicant)
    url = reverse("projects:application_edit", args=[draft.pk])
    assert "indicators-0-target_2" in client.get(url).content.decode()
    rows = [
        {"name_ko": "이용자 수", "unit": "명", "baseline": "10", "target_1": "100", "target_2": "250"},
        {"name": "Accidents avoided", "unit": "cases", "baseline": "0", "target_1": "5", "target_2": "12.5"},
    ]
    response = client.post(url, form_data(draft, rows))
    assert response.status_code == 302, response.context and response.context["indicators_form"].errors
    saved = list(indicators.current(draft))
    assert [(i.display_name, i.unit, i.baseline) for i in saved] == [
        ("이용자 수", "명", Decimal("10")),
        ("Accidents avoided", "cases", Decimal("0")),
    ]
    assert [(t.year, t.target) for t in saved[1].targets.order_by("year")] == [(1, 5), (2, Decimal("12.5"))]
    page = client.get(reverse("projects:application_detail", args=[draft.pk])).content.decode()
    assert "Accidents avoided" in page and "12.5" in page


def test_a_bad_indicator_is_refused_beside_what_was_typed_and_nothing_changes(
    client, applicant, draft, required
):
    client.force_login(applicant)
    rows = [{"unit": "명", "baseline": "abc", "target_1": "100", "target_2": ""}]
    response = client.post(reverse("projects:application_edit", args=[draft.pk]), form_data(draft, rows))
    assert response.status_code == 200
    errors = response.context["indicators_form"].errors[0]
    assert errors["name_ko"] == ["Name the indicator in Korean or English."]
    assert errors["baseline"] == ["Enter a number."]
    assert errors["target_2"] == ["This field is required."]
    assert 'value="abc"' in response.content.decode()
    assert not Indicator.objects.exists()
    assert Application.objects.get(pk=draft.pk).version == draft.version


def test_a_removed_indicator_is_kept_but_no_longer_counts(applicant, draft, required):
    propose(draft, applicant, [row(), row(name_ko="사고 감소")])
    first = indicators.current(draft).first()
    propose(draft, applicant, [row(pk=first.pk, remove=True)])
    assert [i.name_ko for i in indicators.current(draft)] == ["사고 감소"]
    assert Indicator.objects.get(pk=first.pk).removed is True


def test_another_drafts_indicator_is_never_touched(applicant, draft, required, open_call):
    other = ApplicationFactory(call=open_call, lead=OrganisationFactory(), created_by=UserFactory())
    foreign = Indicator.objects.create(
        application=other, name="Theirs", unit="x", baseline=0, updated_by=applicant
    )
    propose(draft, applicant, [row(pk=foreign.pk, remove=True), row(pk=foreign.pk, name_ko="바꿈")])
    foreign.refresh_from_db()
    assert (foreign.removed, foreign.name_ko) == (False, "")


def test_the_call_requires_its_indicators_before_submission_and_they_freeze(applicant, draft, required):
    propose(draft, applicant, [row()])
    with pytest.raises(TransitionRefused) as refused:
        workflow.submit(Application.objects.get(pk=draft.pk), by=applicant)
    assert refused.value.reasons == [
        "Performance indicators: Propose at least 2 performance indicators on the application form; 1 proposed."
    ]
    propose(draft, applicant, [row(name_ko="사고 감소")])
    submitted = workflow.submit(Application.objects.get(pk=draft.pk), by=applicant)
    assert submitted.state == ApplicationState.SUBMITTED
    with pytest.raises(TransitionRefused):
        propose(draft, applicant, [row(name_ko="너무 늦음")])
    assert indicators.current(draft).count() == 2


def test_a_call_without_the_setting_requires_no_indicator(applicant, draft):
    assert workflow.submit(draft, by=applicant).state == ApplicationState.SUBMITTED


# --- reports, actuals and evidence -----------------------------------------------------------


@pytest.fixture
def project(draft, applicant, staff, required):
    propose(
        draft,
        applicant,
        [row(), row(name_ko="사고 감소", name="Accidents", unit="건", baseline="20", targets=("15", "10"))],
    )
    Application.objects.filter(pk=draft.pk).update(
        state=ApplicationState.SELECTED, reference="PC26-0001", accepted_at=timezone.now()
    )
    return signed_project(Application.objects.get(pk=draft.pk), by=staff)


def evidence(name="evidence.pdf", content=None):
    return SimpleUploadedFile(name, content or pdf_bytes())


def test_years_count_from_the_start_of_the_project(project):
    assert indicators.project_year(project, date(2026, 5, 1)) == 1
    assert indicators.project_year(project, date(2027, 4, 30)) == 1
    assert indicators.project_year(project, date(2027, 5, 1)) == 2
    assert indicators.add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    final = project.reports.get(kind=Report.Kind.FINAL)
    assert indicators.report_year(final) == 1


def test_a_report_records_actuals_with_evidence_and_a_correction_is_a_new_record(project, applicant):
    users, accidents = indicators.current(project.award.application)
    final = project.reports.get(kind=Report.Kind.FINAL)
    indicators.record_actuals(final, [(users, Decimal(120), evidence())], by=applicant)
    indicators.record_actuals(final, [(users, Decimal(110), evidence("fixed.pdf"))], by=applicant)
    assert IndicatorActual.objects.count() == 2
    years, lines = indicators.project_table(project)
    assert years == [1, 2]
    cell = lines[0].cells[0]
    assert (cell.target, cell.actual.value, cell.actual.original_name, cell.met) == (
        100,
        110,
        "fixed.pdf",
        True,
    )
    assert lines[1].cells[0].actual is None


def test_evidence_must_be_a_document_and_a_refusal_records_nothing(project, applicant):
    users, accidents = indicators.current(project.award.application)
    final = project.reports.get(kind=Report.Kind.FINAL)
    with pytest.raises(TransitionRefused) as refused:
        indicators.record_actuals(
            final,
            [(users, Decimal(1), evidence()), (accidents, Decimal(2), evidence("x.pdf", b"MZ not a pdf"))],
            by=applicant,
        )
    assert refused.value.reasons[0].startswith("Evidence for “Accidents”:")
    assert not IndicatorActual.objects.exists()


def test_a_submitted_report_takes_no_more_results(project, applicant):
    users, _accidents = indicators.current(project.award.application)
    final = project.reports.get(kind=Report.Kind.FINAL)
    reports.submit_report(final, by=applicant, upload=evidence("final.pdf"))
    with pytest.raises(TransitionRefused):
        indicators.record_actuals(
            Report.objects.get(pk=final.pk), [(users, Decimal(1), evidence())], by=applicant
        )


def test_strangers_cannot_record_results_or_open_evidence(client, project, applicant, stranger):
    users, _accidents = indicators.current(project.award.application)
    final = project.reports.get(kind=Report.Kind.FINAL)
    actual = indicators.record_actuals(final, [(users, Decimal(5), evidence())], by=applicant)[0]
    client.force_login(stranger)
    assert client.get(reverse("projects:report_results", args=[final.pk])).status_code == 404
    assert client.get(reverse("projects:indicator_evidence", args=[actual.pk])).status_code == 404
    client.force_login(applicant)
    response = client.get(reverse("projects:indicator_evidence", args=[actual.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_results_page_records_and_the_project_page_shows_target_against_actual(
    client, project, applicant
):
    users, accidents = indicators.current(project.award.application)
    final = project.reports.get(kind=Report.Kind.FINAL)
    client.force_login(applicant)
    url = reverse("projects:report_results", args=[final.pk])
    response = client.post(url, {f"value_{accidents.pk}": "17"})
    assert response.context["form"].errors == {
        f"evidence_{accidents.pk}": ["Attach the evidence for this result."]
    }
    response = client.post(url, {f"value_{accidents.pk}": "17", f"evidence_{accidents.pk}": evidence()})
    assert response.status_code == 302
    page = client.get(reverse("projects:my_project", args=[project.pk])).content.decode()
    assert "Year 1: target / actual" in page and "below target" not in page
    assert url in page  # the link to record results of an open report
    assert IndicatorActual.objects.get().value == 17


@pytest.mark.parametrize("count", [2, 12])
def test_the_calls_dashboard_shows_every_project_in_constant_queries(
    client, open_call, staff, required, count, django_assert_max_num_queries
):
    proposed = []
    for n in range(count):
        owner = UserFactory()
        application = ApplicationFactory(
            call=open_call, lead=OrganisationFactory(owners=[owner]), created_by=owner
        )
        propose(application, owner, [row(), row(name_ko=f"지표 {n}")])
        proposed.append((application, owner))
    for n, (application, owner) in enumerate(proposed):
        Application.objects.filter(pk=application.pk).update(
            state=ApplicationState.SELECTED, reference=f"PC26-{n:04d}", accepted_at=timezone.now()
        )
        project = signed_project(Application.objects.get(pk=application.pk), by=staff)
        first = indicators.current(application).first()
        indicators.record_actuals(
            project.reports.get(kind=Report.Kind.FINAL), [(first, Decimal(90), evidence())], by=owner
        )
    client.force_login(staff)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("projects:call_indicators", args=[open_call.slug]))
    assert len(response.context["projects"]) == count
    assert all(len(entry.lines) == 2 for entry in response.context["projects"])
    assert response.content.decode().count("below target") == count
    staff_page = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()
    assert "Year 2: target / actual" in staff_page and "Service users" in staff_page


def test_only_staff_and_auditors_read_the_calls_dashboard(client, open_call, applicant):
    client.force_login(applicant)
    assert client.get(reverse("projects:call_indicators", args=[open_call.slug])).status_code == 403


# --- follow-up reports ----------------------------------------------------------------------------


def test_follow_up_reports_open_after_the_end_once_each(project):
    assert indicators.open_follow_up_reports(date(2026, 11, 30)) == 0
    assert indicators.open_follow_up_reports(date(2026, 12, 1)) == 3
    assert indicators.open_follow_up_reports(date(2026, 12, 2)) == 0
    follow_ups = project.reports.filter(kind=Report.Kind.FOLLOW_UP).order_by("follow_up_year")
    assert [(r.follow_up_year, r.due_on) for r in follow_ups] == [
        (1, date(2027, 11, 30)),
        (2, date(2028, 11, 30)),
        (3, date(2029, 11, 30)),
    ]
    assert indicators.report_year(follow_ups[0]) == 2


def test_follow_up_reminders_go_once_a_day_in_each_readers_language(project, applicant):
    colleague = UserFactory(email="colleague@company.example", language="en")
    project.award.application.lead.memberships.create(user=colleague)
    applicant.language = "ko"
    applicant.save()
    indicators.open_follow_up_reports(date(2026, 12, 1))
    due = date(2027, 11, 30)
    assert indicators.follow_up_reports(due - timedelta(days=31))["reminded"] == 0
    assert indicators.follow_up_reports(due - timedelta(days=10)) == {"opened": 0, "reminded": 1}
    assert indicators.follow_up_reports(due - timedelta(days=10))["reminded"] == 0
    subjects = dict(OutboxMessage.objects.values_list("to", "subject"))
    code = project.code
    assert subjects[colleague.email] == f"Follow-up report 1 for {code} is due on 2027-11-30"
    assert subjects[applicant.email] == f"{code} 후속 보고서 1 제출 기한은 2027-11-30입니다"
    # the report reminder of the money module leaves follow-ups to this one
    reports.remind_due_reports(today=due - timedelta(days=3))
    follow_up = project.reports.get(kind=Report.Kind.FOLLOW_UP, follow_up_year=1)
    assert follow_up.last_reminded_on == due - timedelta(days=10)


def test_a_follow_up_report_is_submitted_after_settlement(project, applicant):
    indicators.open_follow_up_reports(date(2026, 12, 1))
    Project = type(project)
    Project.objects.filter(pk=project.pk).update(state="settled")
    follow_up = project.reports.get(kind=Report.Kind.FOLLOW_UP, follow_up_year=1)
    users, _accidents = indicators.current(project.award.application)
    indicators.record_actuals(follow_up, [(users, Decimal(300), evidence())], by=applicant)
    reports.submit_report(follow_up, by=applicant, upload=evidence("follow-up.pdf"))
    assert Report.objects.get(pk=follow_up.pk).status == "submitted"
    assert IndicatorActual.objects.get().year == 2
    with pytest.raises(TransitionRefused):
        reports.submit_report(project.reports.get(kind=Report.Kind.FINAL), by=applicant, upload=evidence())


def test_the_beat_runs_the_follow_ups_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["follow-up-reports"]
    assert entry == {"task": "projects.tasks.follow_up_reports", "schedule": 24 * 3600.0}
