"""Every URL of the project × every role → the expected status.

The matrix below is the specification: each URL name the resolver knows has an entry (a URL
without one fails `test_every_url_has_a_matrix_entry`, naming it), with the keyword arguments
that point at an object of the fixture world (tests/security/world.py) and one expected status
per role. POST-only URLs are also POSTed by every role they refuse, and the database must be
exactly as before.

Codes: LOGIN is a redirect to the log-in page; 302 another redirect (e.g. "register your
organisation first"); 404 for other people's objects (their existence is not revealed); 403 for
pages of a role the person does not have; 405 for a GET of a POST-only URL.
"""

from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from evaluation import committee

from .world import ROLES, build_world

pytestmark = pytest.mark.django_db

LOGIN = "login"
ADMIN_LOGIN = "admin-login"
SKIP = None  # an allowed POST is not replayed here: its own tests cover what it does


def row(anonymous, other_applicant, applicant, reviewer, conflicted_reviewer, staff, auditor):
    return dict(
        zip(
            ROLES,
            (anonymous, other_applicant, applicant, reviewer, conflicted_reviewer, staff, auditor),
            strict=True,
        )
    )


def everyone(status):
    return row(*[status] * len(ROLES))


@dataclass
class Entry:
    kwargs: object = None  # world -> kwargs for reverse()
    get: dict = field(default_factory=dict)
    post: dict | None = None  # POST-only: role -> expected status of a refused POST (SKIP: allowed)
    data: object = None  # world -> POST data


def submitted_final_report(world):
    """The world's project with its final report submitted (once)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from projects import reports
    from tests.projects.samples import pdf_bytes

    final = world.project.reports.get(kind="final")
    if final.status == "due":
        final = reports.submit_report(
            final, by=world.users["applicant"], upload=SimpleUploadedFile("final.pdf", pdf_bytes())
        )
    return final


def open_report(world):
    """A report of the world's project still taking results (a progress report, made once)."""
    from datetime import date

    from projects.models import Report

    report = world.project.reports.filter(kind="progress", status="due").first()
    return report or Report.objects.create(project=world.project, kind="progress", due_on=date(2026, 9, 30))


def indicator_actual(world):
    """An indicator of the world's project with a result recorded (once)."""
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile

    from projects import indicators
    from projects.models import IndicatorActual
    from tests.projects.samples import pdf_bytes

    actual = IndicatorActual.objects.filter(indicator__application=world.project.award.application).first()
    if actual:
        return actual
    applicant, application = world.users["applicant"], world.project.award.application
    row = indicators.IndicatorRow(None, "Users", "", "persons", Decimal(0), {1: Decimal(10)})
    indicators.save_indicators(application, [row], by=applicant)
    indicator = indicators.current(application).get()
    upload = SimpleUploadedFile("evidence.pdf", pdf_bytes())
    return indicators.record_actuals(open_report(world), [(indicator, Decimal(5), upload)], by=applicant)[0]


def spending_report(world):
    """A spending report with its evidence on the world's project, not yet decided (once)."""
    from datetime import date

    from django.core.files.base import ContentFile

    from projects import ledger
    from projects.models import Expenditure
    from tests.projects.samples import pdf_bytes

    return Expenditure.objects.filter(project=world.project).first() or ledger.report_expenditure(
        world.project,
        by=world.users["applicant"],
        spent_on=date(2026, 6, 1),
        category="equipment",
        amount=1_000_000,
        evidence=ContentFile(pdf_bytes(), name="receipt.pdf"),
    )


def presentation_stage(world):
    """A presentation stage of the world's call in evaluation (once)."""
    from evaluation.models import Stage, StageKind

    stage, _created = Stage.objects.get_or_create(
        plan=world.eval_call.evaluation_plan,
        position=9,
        defaults={"kind": StageKind.PRESENTATION, "name": "Presentation"},
    )
    return stage


def applicant_slot(world):
    """A slot of that stage holding the applicant's application under review (once)."""
    from evaluation.models import Panel, Slot

    stage = presentation_stage(world)
    panel, _created = Panel.objects.get_or_create(call=world.eval_call, stage=stage, name="Presentation")
    slot, _created = Slot.objects.get_or_create(
        stage=stage,
        panel=panel,
        application=world.under_review,
        defaults={
            "starts_at": world.eval_call.closes_at,
            "duration_minutes": 20,
            "room": "301",
            "created_by": world.users["staff"],
        },
    )
    return slot


def call_document(world):
    """An announcement attached to the world's open call (once)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from competitions import notices
    from competitions.models import CallDocument
    from tests.projects.samples import pdf_bytes

    return CallDocument.objects.filter(call=world.open_call).first() or notices.attach_document(
        world.open_call,
        kind="announcement",
        title="Announcement",
        upload=SimpleUploadedFile("announcement.pdf", pdf_bytes()),
        by=world.users["staff"],
    )


def call_notice(world):
    """A notice on the world's open call (once)."""
    from competitions import notices
    from competitions.models import Notice

    return Notice.objects.filter(call=world.open_call).first() or notices.post_notice(
        world.open_call, title="Briefing", body="At 14:00.", by=world.users["staff"]
    )


def open_question(world):
    """The applicant's unanswered question about the world's open call (once)."""
    from django.utils import timezone

    from competitions.models import Inquiry

    return Inquiry.objects.filter(call=world.open_call).first() or Inquiry.objects.create(
        call=world.open_call,
        asked_by=world.users["applicant"],
        text="May we apply twice?",
        asked_at=timezone.now(),
    )


def duplicate_finding(world):
    """An open duplicate-funding finding on the world's application under review (once)."""
    from projects.models import DuplicateFinding

    return DuplicateFinding.objects.filter(application=world.under_review).first() or (
        DuplicateFinding.objects.create(
            application=world.under_review, kind="sanction", key="sanction:0", evidence="Sanctioned in 2021."
        )
    )


def applicant_token(world):
    """The applicant's personal access token (made once)."""
    from api.models import PersonalAccessToken
    from api.tokens import create_token

    applicant = world.users["applicant"]
    return (
        PersonalAccessToken.objects.filter(user=applicant).first()
        or create_token(applicant, name="집계 스크립트", scope="read", days=7)[0]
    )


def agreement_party(world):
    """A party to the world's project whose organisation is the applicant's (its lead)."""
    from projects.models import AgreementParty

    return AgreementParty.objects.filter(project=world.project).order_by("pk").first()


def menu_package(world):
    """A service package of a local government the applicant belongs to, with one item (once)."""
    from smartcity import menu
    from smartcity.models import Package, UnitCost
    from tests.factories import OrganisationFactory

    package = Package.objects.order_by("pk").first()
    if package is None:
        applicant = world.users["applicant"]
        city = OrganisationFactory(name="시흥시", kind="local_government", owners=[applicant])
        package = menu.create_package(city, "스마트 주차 지구", by=applicant)
        menu.add_line(package, UnitCost.objects.get(name="Smart parking"), 20, None, by=applicant)
    return package


def certified_application(world):
    """The applicant's service certified in an all-year round, assessed by the world's reviewer
    (once): its application, certificate and catalogue entry."""
    from smartcity import certification
    from smartcity.models import CertificationApplication
    from tests.smartcity.certification_world import apply_for_service, score_all, service_round

    application = CertificationApplication.objects.filter(organisation=world.org).first()
    if application is None:
        staff, reviewer = world.users["staff"], world.users["reviewer"]
        round = service_round(staff, min_assessors=1)
        application = apply_for_service(round, world.users["applicant"], organisation=world.org)
        certification.assign_assessors(application, [reviewer], by=staff)
        score_all(application, [reviewer], 0.9)
        application, _certificate = certification.decide(application, by=staff)
    return application


def living_lab(world):
    """A living lab on the world's project (once): the applicant is its staff-approved manager,
    the other applicant a citizen taking part with one feedback."""
    from smartcity import living_labs
    from smartcity.models import LivingLab
    from tests.smartcity.labs_world import join, open_test_lab

    lab = LivingLab.objects.filter(project=world.project).first()
    if lab is None:
        # Labs open only on the citizen-led living-lab track: the world's project is on one.
        track = world.project.award.application.track
        track.living_lab = True
        track.save(update_fields=["living_lab"])
        lab = open_test_lab(world.project, world.users["staff"], world.users["applicant"])
        participant = join(lab, world.users["other_applicant"])
        living_labs.give_feedback(participant, lab.services.first(), rating=4, comment="편리합니다")
        question = living_labs.add_question(
            lab, phase="explore", kind="rating", text="서비스를 추천하시겠습니까?", by=world.users["staff"]
        )
        living_labs.answer_survey(participant, {question: 5})
    return lab


def K(**names):
    """kwargs from world attributes: K(pk="draft") -> {"pk": world.draft.pk}."""

    def kwargs(world):
        out = {}
        for key, spec in names.items():
            attr, _, sub = spec.partition(".")
            value = getattr(world, attr)
            out[key] = getattr(
                value, sub or ("slug" if key == "slug" else "token" if key == "token" else "pk")
            )
        return out

    return kwargs


# GET of a POST-only URL behind @login_required: log in first, then 405.
POST_ONLY_LOGGED_IN = row(LOGIN, 405, 405, 405, 405, 405, 405)
# Refused POSTs on applicant objects: other people's get 404 (not 403: ids reveal nothing).
APPLICANT_POST = row(LOGIN, 404, SKIP, 404, 404, 404, 404)
STAFF_GET = row(LOGIN, 403, 403, 403, 403, 200, 403)
STAFF_POST_ONLY_GET = row(LOGIN, 403, 403, 403, 403, 405, 403)
STAFF_POST = row(LOGIN, 403, 403, 403, 403, SKIP, 403)
STAFF_AND_AUDITOR_GET = row(LOGIN, 403, 403, 403, 403, 200, 200)

MATRIX = {
    "healthz": Entry(get=everyone(200)),
    "favicon": Entry(get=everyone(302)),
    "set_language": Entry(get=everyone(302)),
    "accounts:login": Entry(get=everyone(200)),
    # LogoutView is POST-only since Django 5; logging out is allowed to all, so nothing to refuse.
    "accounts:logout": Entry(get=everyone(405)),
    "accounts:signup": Entry(get=row(200, 302, 302, 302, 302, 302, 302)),
    # One's own account (name, language): every signed-in person, auditors too (no record of theirs).
    "accounts:account": Entry(get=row(LOGIN, 200, 200, 200, 200, 200, 200)),
    # Everyone in the world has accepted the consent in force: the page sends them on.
    "accounts:consent": Entry(get=row(LOGIN, 302, 302, 302, 302, 302, 302)),
    "accounts:password_reset": Entry(get=everyone(200)),
    "accounts:password_reset_done": Entry(get=everyone(200)),
    # A made-up link: the page says it has expired.
    "accounts:password_reset_confirm": Entry(
        lambda w: {"uidb64": "MA", "token": "made-up-token"}, everyone(200)
    ),
    "accounts:password_reset_complete": Entry(get=everyone(200)),
    # Two-factor log-in: one's own second factor. Staff and auditors are verified with an
    # authenticator by force_login (tests/conftest.py), so enrolment sends them to the settings
    # page; the others have none, so verification sends them to enrolment.
    "accounts:two_factor": Entry(get=row(LOGIN, 200, 200, 200, 200, 200, 200)),
    "accounts:two_factor_verify": Entry(get=row(LOGIN, 302, 302, 302, 302, 302, 302)),
    "accounts:two_factor_enrol": Entry(get=row(LOGIN, 200, 200, 200, 200, 302, 302)),
    # Resetting another person's second factor: superusers only (none among the roles).
    "accounts:two_factor_reset": Entry(
        lambda w: {"pk": w.users["staff"].pk}, row(LOGIN, 403, 403, 403, 403, 403, 403)
    ),
    "competitions:call_list": Entry(get=everyone(200)),
    "competitions:call_detail": Entry(K(slug="open_call"), everyone(200)),
    "competitions:question_builder": Entry(K(slug="open_call"), STAFF_GET, STAFF_POST),
    "competitions:eligibility_rules": Entry(K(slug="open_call"), STAFF_GET, STAFF_POST),
    "competitions:copy_call": Entry(K(slug="open_call"), STAFF_GET, STAFF_POST),
    # The notice page: anyone downloads the call's current documents; whoever applies for grants
    # asks (the world's reviewers belong to organisations; staff and auditors are refused with
    # the reason and the page: 400); staff keep the page and answer.
    "competitions:document_download": Entry(
        lambda w: {"slug": w.open_call.slug, "pk": call_document(w).pk}, everyone(200)
    ),
    "competitions:ask_question": Entry(
        K(slug="open_call"),
        POST_ONLY_LOGGED_IN,
        row(LOGIN, SKIP, SKIP, SKIP, SKIP, 400, 400),
        lambda w: {"text": "Is HWPX accepted?"},
    ),
    "competitions:staff_notice_page": Entry(K(slug="open_call"), STAFF_GET),
    "competitions:call_publish": Entry(K(slug="open_call"), STAFF_POST_ONLY_GET, STAFF_POST),
    "competitions:staff_notice_edit": Entry(
        lambda w: {"slug": w.open_call.slug, "pk": call_notice(w).pk}, STAFF_GET
    ),
    "competitions:question_queue": Entry(get=STAFF_GET),
    # A background import's progress page: its requester (who may import into that list) only.
    "competitions:import_job": Entry(K(token="import_job"), STAFF_GET),
    # Its preview's Confirm button (POST only); on the world's finished job it changes nothing.
    "competitions:import_job_confirm": Entry(
        K(token="import_job"), STAFF_POST_ONLY_GET, row(LOGIN, 403, 403, 403, 403, 302, 403)
    ),
    "competitions:question_answer": Entry(
        lambda w: {"pk": open_question(w).pk},
        row(LOGIN, 403, 403, 403, 403, 302, 403),
        STAFF_POST,
        lambda w: {f"q{open_question(w).pk}-answer": "Once per call."},
    ),
    # certification: the catalogue is public; an application is seen by its organisation's
    # people, its assessors (the world's reviewer) and staff; staff assign, decide and change
    # certificates; the assessor alone scores.
    "smartcity:home": Entry(get=everyone(200)),
    "smartcity:catalogue": Entry(get=everyone(200)),
    "smartcity:catalogue_export": Entry(lambda w: {"fmt": "csv"}, everyone(200)),
    "smartcity:catalogue_service": Entry(
        lambda w: {"pk": certified_application(w).certificate.certified_service_id}, everyone(200)
    ),
    "smartcity:certification_home": Entry(get=row(LOGIN, 200, 200, 200, 200, 200, 200)),
    "smartcity:certification_round_create": Entry(get=STAFF_GET, post=STAFF_POST),
    # The index's versions: staff only. The world's service index has been assessed against
    # (certified_application), so its edit page offers only a copy.
    "smartcity:certification_indexes": Entry(get=STAFF_GET),
    "smartcity:certification_index_copy": Entry(
        lambda w: {"pk": certified_application(w).round.index_id}, STAFF_POST_ONLY_GET, STAFF_POST
    ),
    "smartcity:certification_index_edit": Entry(
        lambda w: {"pk": certified_application(w).round.index_id}, STAFF_GET, STAFF_POST
    ),
    "smartcity:certification_apply": Entry(
        lambda w: {"pk": certified_application(w).round_id}, row(LOGIN, 200, 200, 200, 200, 200, 200)
    ),
    "smartcity:certification_application": Entry(
        lambda w: {"pk": certified_application(w).pk}, row(LOGIN, 404, 200, 200, 404, 200, 404)
    ),
    "smartcity:certification_evidence": Entry(
        lambda w: {"pk": certified_application(w).pk}, row(LOGIN, 404, 200, 200, 404, 200, 404)
    ),
    "smartcity:certification_assess": Entry(
        lambda w: {"pk": certified_application(w).pk},
        POST_ONLY_LOGGED_IN,
        row(LOGIN, 404, 403, SKIP, 404, 403, 404),
    ),
    "smartcity:certification_assign": Entry(
        lambda w: {"pk": certified_application(w).pk}, STAFF_POST_ONLY_GET, STAFF_POST
    ),
    "smartcity:certification_decide": Entry(
        lambda w: {"pk": certified_application(w).pk}, STAFF_POST_ONLY_GET, STAFF_POST
    ),
    "smartcity:certificate_link_project": Entry(
        lambda w: {"pk": certified_application(w).certificate.pk}, STAFF_POST_ONLY_GET, STAFF_POST
    ),
    "smartcity:certificate_change": Entry(
        lambda w: {"pk": certified_application(w).certificate.pk}, STAFF_POST_ONLY_GET, STAFF_POST
    ),
    "projects:dashboard": Entry(get=row(LOGIN, 200, 200, 200, 200, 200, 200)),
    "projects:organisation_create": Entry(get=row(LOGIN, 200, 200, 200, 200, 200, 200)),
    "projects:organisation_detail": Entry(K(pk="org"), row(LOGIN, 404, 200, 404, 404, 200, 404)),
    "projects:organisation_edit": Entry(K(pk="org"), row(LOGIN, 404, 200, 404, 404, 404, 404)),
    # Only the invited address answers an invitation; only the proposed organisation's members
    # answer a consortium request: anyone else gets 404.
    "projects:requests": Entry(get=row(LOGIN, 200, 200, 200, 200, 200, 200)),
    "projects:invitation_respond": Entry(K(pk="invitation"), POST_ONLY_LOGGED_IN, APPLICANT_POST),
    "projects:consortium_respond": Entry(K(pk="consortium_request"), POST_ONLY_LOGGED_IN, APPLICANT_POST),
    # Without an organisation one is sent to register it first.
    "projects:application_start": Entry(K(slug="open_call"), row(LOGIN, 200, 200, 302, 302, 302, 302)),
    # Continue from the previous stage: the stage-1 application is posted; anyone else's 404.
    "projects:application_carry_over": Entry(K(slug="open_call"), POST_ONLY_LOGGED_IN, APPLICANT_POST),
    "projects:application_detail": Entry(K(pk="draft"), row(LOGIN, 404, 200, 404, 404, 200, 404)),
    "projects:application_edit": Entry(K(pk="draft"), row(LOGIN, 404, 200, 404, 404, 404, 404)),
    # GET: the confirmation page (what will be submitted); POST submits.
    "projects:application_submit": Entry(
        K(pk="draft"), row(LOGIN, 404, 200, 404, 404, 404, 404), APPLICANT_POST
    ),
    # The receipt PDF: the lead's people, staff and auditors.
    "projects:application_receipt": Entry(K(pk="not_selected"), row(LOGIN, 404, 200, 404, 404, 200, 200)),
    "projects:application_withdraw": Entry(K(pk="draft"), POST_ONLY_LOGGED_IN, APPLICANT_POST),
    # Correction requests: the correction page sends the lead back to the application while none
    # is open; only staff ask for one.
    "projects:application_correct": Entry(K(pk="draft"), row(LOGIN, 404, 302, 404, 404, 404, 404)),
    "projects:application_resubmit": Entry(K(pk="draft"), POST_ONLY_LOGGED_IN, APPLICANT_POST),
    "projects:correction_request": Entry(
        K(pk="under_review"),
        STAFF_GET,
        STAFF_POST,
        lambda w: {
            "documents": ["proposal"],
            "message": "x",
            "deadline_date": "2099-01-01",
            "deadline_time": "18:00",
        },
    ),
    "projects:application_accept": Entry(K(pk="selected"), POST_ONLY_LOGGED_IN, APPLICANT_POST),
    "projects:member_add": Entry(
        K(pk="draft"),
        POST_ONLY_LOGGED_IN,
        APPLICANT_POST,
        lambda w: {"registration_number": w.other_org.registration_number, "budget_share_percent": "10"},
    ),
    "projects:member_remove": Entry(
        lambda w: {"pk": w.draft.pk, "member_pk": w.member.pk}, POST_ONLY_LOGGED_IN, APPLICANT_POST
    ),
    "projects:document_upload": Entry(K(pk="draft"), POST_ONLY_LOGGED_IN, APPLICANT_POST),
    "projects:document_download": Entry(K(pk="document"), row(LOGIN, 404, 200, 404, 404, 200, 404)),
    "projects:report_download": Entry(
        lambda w: {"pk": submitted_final_report(w).pk}, row(LOGIN, 404, 200, 404, 404, 200, 200)
    ),
    # Spending evidence: staff and auditors (read-only) and the lead's members; the lead's
    # members alone correct or withdraw a report not yet decided.
    "projects:expenditure_evidence": Entry(
        lambda w: {"pk": spending_report(w).pk}, row(LOGIN, 404, 200, 404, 404, 200, 200)
    ),
    "projects:expenditure_correct": Entry(
        lambda w: {"pk": spending_report(w).pk}, row(LOGIN, 404, 200, 404, 404, 404, 404)
    ),
    "projects:expenditure_withdraw": Entry(
        lambda w: {"pk": spending_report(w).pk},
        POST_ONLY_LOGGED_IN,
        APPLICANT_POST,
        lambda w: {"reason": "Reported twice."},
    ),
    "projects:eligibility_queue": Entry(get=STAFF_GET),
    "projects:eligibility_bulk": Entry(
        get=STAFF_POST_ONLY_GET,
        post=STAFF_POST,
        data=lambda w: {"applications": [w.draft.pk], "action": "reject", "reason": "x"},
    ),
    "projects:staff_application": Entry(K(pk="under_review"), STAFF_GET),
    "projects:duplicate_check_run": Entry(K(pk="under_review"), STAFF_POST_ONLY_GET, STAFF_POST),
    "projects:duplicate_finding_decide": Entry(
        lambda w: {"pk": duplicate_finding(w).pk},
        STAFF_POST_ONLY_GET,
        STAFF_POST,
        lambda w: {"action": "clear", "reason": "x"},
    ),
    # Auditors read the award page; its POST is staff-only.
    "projects:award": Entry(K(pk="not_selected"), STAFF_AND_AUDITOR_GET),
    "projects:project_list": Entry(get=STAFF_AND_AUDITOR_GET),
    "projects:bulk_tranche": Entry(
        get=row(LOGIN, 403, 403, 403, 403, 405, 405),
        post=row(LOGIN, 403, 403, 403, 403, SKIP, 403),
        data=lambda w: {"projects": [w.project.pk], "tranche": "2", "paid_on": "2026-06-01", "percent": "10"},
    ),
    "projects:project_detail": Entry(K(pk="project"), STAFF_AND_AUDITOR_GET),
    "projects:my_project": Entry(K(pk="project"), row(LOGIN, 404, 200, 404, 404, 200, 404)),
    # The agreement summary PDF: the parties' people, staff and auditors.
    "projects:agreement_summary": Entry(K(pk="project"), row(LOGIN, 404, 200, 404, 404, 200, 200)),
    # Answering a request to join an agreement: only the asked organisation's people (others 404).
    "projects:agreement_respond": Entry(
        lambda w: {"pk": agreement_party(w).pk}, POST_ONLY_LOGGED_IN, APPLICANT_POST
    ),
    # Only the lead's members record a report's indicator results.
    "projects:report_results": Entry(
        lambda w: {"pk": open_report(w).pk},
        row(LOGIN, 404, 200, 404, 404, 404, 404),
        row(LOGIN, 404, SKIP, 404, 404, 404, 404),
        lambda w: {},
    ),
    "projects:indicator_evidence": Entry(
        lambda w: {"pk": indicator_actual(w).pk}, row(LOGIN, 404, 200, 404, 404, 200, 200)
    ),
    "projects:call_indicators": Entry(K(slug="eval_call"), STAFF_AND_AUDITOR_GET),
    "evaluation:my_reviews": Entry(get=row(LOGIN, 404, 404, 200, 200, 404, 404)),
    "evaluation:review_form": Entry(K(pk="assignment"), row(LOGIN, 404, 404, 200, 404, 404, 404)),
    "evaluation:review_document": Entry(
        lambda w: {"pk": w.assignment.pk, "document_pk": w.review_document.pk},
        row(LOGIN, 404, 404, 200, 404, 404, 404),
    ),
    "evaluation:recuse": Entry(
        K(pk="assignment"),
        POST_ONLY_LOGGED_IN,
        row(LOGIN, 404, 404, SKIP, 404, 404, 404),
        lambda w: {"reason": "I know them."},
    ),
    "evaluation:staff_home": Entry(get=STAFF_GET),
    "evaluation:call_dashboard": Entry(K(slug="eval_call"), STAFF_GET),
    "evaluation:overview": Entry(K(slug="eval_call"), STAFF_GET),
    "evaluation:assign": Entry(K(slug="eval_call"), STAFF_POST_ONLY_GET, STAFF_POST),
    "evaluation:close": Entry(K(slug="eval_call"), STAFF_POST_ONLY_GET, STAFF_POST),
    "evaluation:remind": Entry(K(slug="eval_call"), STAFF_POST_ONLY_GET, STAFF_POST),
    "evaluation:selection": Entry(K(slug="eval_call"), STAFF_GET),
    "evaluation:stages": Entry(K(slug="eval_call"), STAFF_GET),
    "evaluation:schedule": Entry(
        lambda w: {"slug": w.eval_call.slug, "pk": presentation_stage(w).pk}, STAFF_GET
    ),
    # Only the lead organisation's members ask for another slot; anyone else gets 404.
    "evaluation:slot_change": Entry(
        lambda w: {"pk": applicant_slot(w).pk},
        POST_ONLY_LOGGED_IN,
        APPLICANT_POST,
        lambda w: {"reason": "Abroad."},
    ),
    "evaluation:objections": Entry(get=STAFF_GET),
    "evaluation:objection_decide": Entry(
        K(pk="objection"),
        STAFF_POST_ONLY_GET,
        STAFF_POST,
        lambda w: {"action": "dismiss", "decision": "No."},
    ),
    "evaluation:decline": Entry(K(pk="selected"), POST_ONLY_LOGGED_IN, APPLICANT_POST),
    # Not yet published (the call is in evaluation): 404 to its applicant; staff preview it.
    "evaluation:result_letter": Entry(K(pk="not_selected"), row(LOGIN, 404, 404, 404, 404, 200, 404)),
    # No confirmed run of the world tells this result: not even staff have a letter to print
    # (tests/evaluation/test_result_letter_pdf.py downloads real ones).
    "evaluation:result_letter_pdf": Entry(K(pk="not_selected"), row(LOGIN, 404, 404, 404, 404, 404, 404)),
    "evaluation:public_results": Entry(K(slug="eval_call"), STAFF_GET),
    "evaluation:object": Entry(
        K(pk="not_selected"), POST_ONLY_LOGGED_IN, APPLICANT_POST, lambda w: {"grounds": "Unfair."}
    ),
    # Committee: the reviewer pool and panels are staff's; the invitation link is for the person
    # invited, who is not logged in yet (anyone logged in as someone else is refused).
    "evaluation:reviewer_pool": Entry(
        get=STAFF_GET,
        post=STAFF_POST,
        data=lambda w: {"name": "Intruder", "email": "intruder@security.example"},
    ),
    "evaluation:reviewer_import": Entry(get=STAFF_POST_ONLY_GET, post=STAFF_POST),
    "evaluation:invitation_resend": Entry(K(pk="reviewer_invitation"), STAFF_POST_ONLY_GET, STAFF_POST),
    "evaluation:panels": Entry(
        K(slug="eval_call"),
        STAFF_GET,
        STAFF_POST,
        lambda w: {
            "action": "remove",
            "panel": w.eval_call.panels.first().pk,
            "reviewer": w.assignment.reviewer_id,
        },
    ),
    "evaluation:invitation_accept": Entry(
        lambda w: {"token": committee.token_for(w.reviewer_invitation)},
        row(200, 403, 403, 403, 403, 403, 403),
        row(SKIP, 403, 403, 403, 403, 403, 403),
        lambda w: {"new_password1": "hijacked-pass-phrase-1", "new_password2": "hijacked-pass-phrase-1"},
    ),
    # The smart services menu board (smartcity, menu): public; a service package is its local
    # government's (the applicant's here) to change, staff read it, anyone else gets 404.
    "smartcity:menu_board": Entry(get=everyone(200)),
    "smartcity:menu_packages": Entry(get=row(LOGIN, 200, 200, 200, 200, 200, 200)),
    "smartcity:menu_package_create": Entry(
        # No URL arguments; made before the snapshot, the package's local government is posted.
        kwargs=lambda w: menu_package(w) and {},
        get=POST_ONLY_LOGGED_IN,
        post=row(LOGIN, 400, SKIP, 400, 400, 400, 400),
        data=lambda w: {"organisation": menu_package(w).organisation_id, "name": "끼어들기"},
    ),
    "smartcity:menu_package": Entry(
        lambda w: {"pk": menu_package(w).pk},
        row(LOGIN, 404, 200, 404, 404, 200, 404),
        APPLICANT_POST,
        lambda w: {"new-item": menu_package(w).lines.get().item_id, "new-quantity": "5"},
    ),
    "smartcity:menu_package_line": Entry(
        lambda w: {"pk": menu_package(w).pk, "line_pk": menu_package(w).lines.get().pk},
        POST_ONLY_LOGGED_IN,
        APPLICANT_POST,
        lambda w: {"action": "remove"},
    ),
    "smartcity:menu_package_attach": Entry(
        lambda w: {"pk": menu_package(w).pk},
        POST_ONLY_LOGGED_IN,
        APPLICANT_POST,
        lambda w: {"application": w.draft.pk},
    ),
    "audit:exports": Entry(get=STAFF_AND_AUDITOR_GET),
    # Only the person who asked for the workbook sees its job and downloads it.
    "audit:job": Entry(K(token="export_job"), row(LOGIN, 403, 403, 403, 403, 404, 200)),
    "audit:download": Entry(K(token="export_job"), row(LOGIN, 403, 403, 403, 403, 404, 200)),
    # --- The REST API (api/): a session never authenticates it (a token does: tests/api), so
    # every signed-in browser is anonymous there: 401 but for the public calls, the schema and
    # its docs; refused POSTs change nothing.
    "api:call-list": Entry(get=everyone(200)),
    "api:call-detail": Entry(kwargs=K(slug="open_call"), get=everyone(200)),
    "api:call-assignments": Entry(kwargs=K(slug="eval_call"), get=everyone(401), post=everyone(401)),
    "api:call-selection-preview": Entry(kwargs=K(slug="eval_call"), get=everyone(401)),
    "api:call-runs": Entry(kwargs=K(slug="eval_call"), get=everyone(401), post=everyone(401)),
    "api:call-confirm-run": Entry(
        kwargs=lambda world: {"slug": world.eval_call.slug, "number": 1},
        get=everyone(401),
        post=everyone(401),
    ),
    "api:organisation-list": Entry(get=everyone(401)),
    "api:organisation-detail": Entry(kwargs=K(pk="org"), get=everyone(401)),
    "api:application-list": Entry(get=everyone(401), post=everyone(401)),
    "api:application-detail": Entry(kwargs=K(pk="draft"), get=everyone(401)),
    "api:application-documents": Entry(kwargs=K(pk="draft"), get=everyone(401), post=everyone(401)),
    "api:application-submit": Entry(kwargs=K(pk="draft"), get=everyone(401), post=everyone(401)),
    "api:application-withdraw": Entry(kwargs=K(pk="draft"), get=everyone(401), post=everyone(401)),
    "api:application-eligibility": Entry(kwargs=K(pk="draft"), get=everyone(401), post=everyone(401)),
    "api:application-members": Entry(kwargs=K(pk="draft"), get=everyone(401), post=everyone(401)),
    "api:application-remove-member": Entry(
        kwargs=lambda world: {"pk": world.draft.pk, "member": world.consortium_request.pk},
        get=everyone(401),
        post=everyone(401),
    ),
    "api:application-correction-request": Entry(kwargs=K(pk="draft"), get=everyone(401), post=everyone(401)),
    "api:application-correction": Entry(kwargs=K(pk="draft"), get=everyone(401)),
    "api:application-correct-funding-plan": Entry(
        kwargs=K(pk="draft"), get=everyone(401), post=everyone(401)
    ),
    "api:application-correct-answers": Entry(kwargs=K(pk="draft"), get=everyone(401), post=everyone(401)),
    "api:application-resubmit": Entry(kwargs=K(pk="draft"), get=everyone(401), post=everyone(401)),
    "api:application-accept": Entry(kwargs=K(pk="draft"), get=everyone(401), post=everyone(401)),
    "api:application-decline": Entry(kwargs=K(pk="draft"), get=everyone(401), post=everyone(401)),
    "api:application-objections": Entry(kwargs=K(pk="draft"), get=everyone(401), post=everyone(401)),
    "api:call-close-review": Entry(kwargs=K(slug="eval_call"), get=everyone(401), post=everyone(401)),
    "api:consortium-request-list": Entry(get=everyone(401)),
    "api:consortium-request-respond": Entry(
        kwargs=K(pk="consortium_request"), get=everyone(401), post=everyone(401)
    ),
    "api:objection-list": Entry(get=everyone(401)),
    "api:objection-detail": Entry(kwargs=K(pk="objection"), get=everyone(401)),
    "api:objection-decide": Entry(kwargs=K(pk="objection"), get=everyone(401), post=everyone(401)),
    "api:review-list": Entry(get=everyone(401)),
    "api:review-detail": Entry(kwargs=K(pk="assignment"), get=everyone(401)),
    "api:review-scores": Entry(kwargs=K(pk="assignment"), get=everyone(401), post=everyone(401)),
    "api:review-pledge": Entry(kwargs=K(pk="assignment"), get=everyone(401), post=everyone(401)),
    "api:review-no-conflict": Entry(kwargs=K(pk="assignment"), get=everyone(401), post=everyone(401)),
    "api:review-conflict": Entry(kwargs=K(pk="assignment"), get=everyone(401), post=everyone(401)),
    "api:project-list": Entry(get=everyone(401)),
    "api:project-detail": Entry(kwargs=lambda world: {"code": world.project.code}, get=everyone(401)),
    "api:project-ledger": Entry(kwargs=lambda world: {"code": world.project.code}, get=everyone(401)),
    "api:schema": Entry(get=everyone(200)),
    "api:docs": Entry(get=everyone(200)),
    "api:redoc": Entry(get=everyone(200)),
    # One's own personal access tokens; revoking another person's token is not found.
    "api_tokens": Entry(get=row(LOGIN, 200, 200, 200, 200, 200, 200)),
    "api_token_revoke": Entry(
        kwargs=lambda world: {"pk": applicant_token(world).pk},
        get=POST_ONLY_LOGGED_IN,
        post=row(LOGIN, 404, SKIP, 404, 404, 404, 404),
    ),
    # The access log: auditors only (staff's own reads and exports are in it).
    "audit:access_log": Entry(get=row(LOGIN, 403, 403, 403, 403, 403, 200)),
    # Smart-city policy analytics: staff and auditors read the tables and download each one.
    "smartcity:analytics": Entry(get=STAFF_AND_AUDITOR_GET),
    "smartcity:analytics_export": Entry(lambda w: {"table": "region", "kind": "xlsx"}, STAFF_AND_AUDITOR_GET),
    # labs: a living lab is public; a citizen joins (with consent) and gives feedback as a
    # participant (the other applicant); its approved manager (the applicant) and staff read the
    # results and move the phase; only the approved manager reads the participants' personal data.
    "smartcity:labs": Entry(get=everyone(200)),
    "smartcity:lab_create": Entry(get=STAFF_GET, post=STAFF_POST),
    "smartcity:lab": Entry(lambda w: {"pk": living_lab(w).pk}, everyone(200)),
    "smartcity:lab_join": Entry(
        lambda w: {"pk": living_lab(w).pk}, POST_ONLY_LOGGED_IN, row(LOGIN, 400, 400, 400, 400, 400, 400)
    ),
    "smartcity:lab_feedback": Entry(
        lambda w: {"pk": living_lab(w).pk}, row(LOGIN, 200, 404, 404, 404, 404, 404)
    ),
    "smartcity:lab_survey": Entry(
        lambda w: {"pk": living_lab(w).pk}, POST_ONLY_LOGGED_IN, row(LOGIN, SKIP, 404, 404, 404, 404, 404)
    ),
    "smartcity:lab_question": Entry(
        lambda w: {"pk": living_lab(w).pk}, POST_ONLY_LOGGED_IN, row(LOGIN, 403, SKIP, 403, 403, SKIP, 403)
    ),
    "smartcity:lab_withdraw": Entry(
        lambda w: {"pk": living_lab(w).pk}, POST_ONLY_LOGGED_IN, row(LOGIN, SKIP, 404, 404, 404, 404, 404)
    ),
    "smartcity:lab_results": Entry(
        lambda w: {"pk": living_lab(w).pk}, row(LOGIN, 403, 200, 403, 403, 200, 403)
    ),
    "smartcity:lab_results_export": Entry(
        lambda w: {"pk": living_lab(w).pk, "fmt": "csv"}, row(LOGIN, 403, 200, 403, 403, 200, 403)
    ),
    "smartcity:lab_participants": Entry(
        lambda w: {"pk": living_lab(w).pk}, row(LOGIN, 403, 200, 403, 403, 403, 403)
    ),
    "smartcity:lab_phase": Entry(
        lambda w: {"pk": living_lab(w).pk}, POST_ONLY_LOGGED_IN, row(LOGIN, 403, SKIP, 403, 403, SKIP, 403)
    ),
    "smartcity:lab_manager": Entry(lambda w: {"pk": living_lab(w).pk}, POST_ONLY_LOGGED_IN, STAFF_POST),
}

# Further cases for some names: objects in another state or of another organisation.
EXTRA_CASES = {
    "competitions:call_detail": [Entry(K(slug="draft_call"), everyone(404))],
    # A closed call's slug: the applicant is sent back to the call page, nothing is created.
    "projects:application_start": [Entry(K(slug="closed_call"), row(LOGIN, 302, 302, 302, 302, 302, 302))],
    "projects:application_detail": [Entry(K(pk="other_draft"), row(LOGIN, 200, 404, 404, 404, 200, 404))],
    "projects:application_edit": [Entry(K(pk="other_draft"), row(LOGIN, 200, 404, 404, 404, 404, 404))],
    "projects:organisation_detail": [Entry(K(pk="other_org"), row(LOGIN, 200, 404, 404, 404, 200, 404))],
    "projects:document_upload": [
        Entry(K(pk="other_draft"), POST_ONLY_LOGGED_IN, row(LOGIN, SKIP, 404, 404, 404, 404, 404))
    ],
    "projects:application_submit": [
        Entry(
            K(pk="other_draft"),
            row(LOGIN, 200, 404, 404, 404, 404, 404),
            row(LOGIN, SKIP, 404, 404, 404, 404, 404),
        )
    ],
    "projects:project_detail": [
        Entry(
            K(pk="project"),
            STAFF_AND_AUDITOR_GET,
            row(LOGIN, 403, 403, 403, 403, SKIP, 403),
            lambda w: {"action": "pay", "amount": "1000", "paid_on": "2026-06-01"},
        )
    ],
    "projects:my_project": [
        Entry(
            K(pk="project"),
            row(LOGIN, 404, 200, 404, 404, 200, 404),
            row(LOGIN, 404, SKIP, 404, 404, 404, 404),
            lambda w: {"spent_on": "2026-06-01", "category": "equipment", "amount": "1000"},
        )
    ],
    "projects:award": [
        Entry(
            K(pk="not_selected"),
            STAFF_AND_AUDITOR_GET,
            row(LOGIN, 403, 403, 403, 403, SKIP, 403),
            lambda w: {
                "national_subsidy": "1",
                "signed_on": "2026-05-01",
                "parties": "X",
                "starts_on": "2026-05-01",
                "ends_on": "2026-06-01",
            },
        )
    ],
    "evaluation:selection": [
        Entry(K(slug="eval_call"), STAFF_GET, STAFF_POST, lambda w: {"action": "record"})
    ],
    "evaluation:stages": [
        Entry(K(slug="eval_call"), STAFF_GET, STAFF_POST, lambda w: {"action": "record", "stage": "1"})
    ],
    "evaluation:review_form": [
        Entry(
            K(pk="assignment"),
            row(LOGIN, 404, 404, 200, 404, 404, 404),
            row(LOGIN, 404, 404, SKIP, 404, 404, 404),
            lambda w: {"action": "submit", "comment": "tampered"},
        )
    ],
    "projects:organisation_detail#post": [
        Entry(
            K(pk="org"),
            row(LOGIN, 404, 200, 404, 404, 200, 404),
            row(LOGIN, 404, SKIP, 404, 404, 404, 404),
            lambda w: {"email": "other@security.example"},
        )
    ],
    "projects:organisation_edit#post": [
        Entry(
            K(pk="org"),
            row(LOGIN, 404, 200, 404, 404, 404, 404),
            row(LOGIN, 404, SKIP, 404, 404, 404, 404),
            lambda w: {"name": "Hijacked"},
        )
    ],
    "audit:exports": [
        Entry(
            None,
            STAFF_AND_AUDITOR_GET,
            row(LOGIN, 403, 403, 403, 403, SKIP, SKIP),
            lambda w: {"calls": [w.eval_call.pk], "lang": "en"},
        )
    ],
}

# The admin is one include with ~200 generated URLs (changelist/add/change/delete/history per
# model) whose access Django's ModelAdmin decides from model permissions, tested model by model
# in tests/test_auditor_read_only.py. Here: anyone who is not is_staff is sent to the admin's
# log-in on every admin URL (a prefix rule, checked on these samples), and each role gets the
# expected answer on a few representative pages.
ADMIN_NAMESPACE = "admin"
ADMIN_SAMPLES = {
    "admin:index": (None, row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200, 200)),
    "admin:projects_application_changelist": (
        None,
        row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200, 200),
    ),
    "admin:projects_application_change": (
        lambda w: {"object_id": w.draft.pk},
        row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200, 200),
    ),
    "admin:projects_disbursemententry_add": (
        None,
        row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 403, 403),
    ),
    # Reviewer identities: staff manage them, auditors never see them.
    "admin:evaluation_reviewer_changelist": (
        None,
        row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200, 403),
    ),
    "admin:accounts_user_changelist": (
        None,
        row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 403, 403),
    ),
    # Login-failure records (IP addresses) are for superusers only.
    "admin:axes_accessattempt_changelist": (
        None,
        row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 403, 403),
    ),
}


def project_url_names():
    """Every URL pattern of the project: 'namespace:name', or the route of an unnamed one."""
    found = []

    def walk(resolver, prefix, namespace):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                name = pattern.name or f"<unnamed {route}>"
                found.append((f"{namespace}:{name}" if namespace else name, route, namespace))

    walk(get_resolver(), "", None)
    return found


def test_every_url_has_a_matrix_entry():
    missing = [
        f"{name} ({route})"
        for name, route, namespace in project_url_names()
        if name not in MATRIX and (namespace or "").split(":")[0] != ADMIN_NAMESPACE
    ]
    assert not missing, "URLs without a permission-matrix entry: " + ", ".join(missing)


def test_the_matrix_names_no_url_that_does_not_exist():
    known = {name for name, _route, _ns in project_url_names()}
    stale = [name for name in [*MATRIX, *ADMIN_SAMPLES] if name not in known]
    stale += [name for name in EXTRA_CASES if name.split("#")[0] not in known]
    assert not stale, "matrix entries for URLs that no longer exist: " + ", ".join(stale)


@pytest.fixture
def world(role_groups, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def snapshot():
    """Every row of the project's own models (and the transition log), to prove a refused POST
    changed nothing."""
    state = {}
    for config in apps.get_app_configs():
        if config.label not in {
            "accounts",
            "competitions",
            "projects",
            "evaluation",
            "audit",
            "smartcity",
            "django_fsm_log",
        }:
            continue
        for model in config.get_models():
            state[model._meta.label] = list(model.objects.order_by("pk").values())
    return state


def expected_matches(response, expected, url):
    if expected == LOGIN:
        return response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    if expected == ADMIN_LOGIN:
        return response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    if expected == 302:
        return response.status_code == 302 and not response["Location"].startswith(reverse("accounts:login"))
    return response.status_code == expected


def check(client, world, url, expected_get, expected_post=None, data=None):
    problems = []
    for role in ROLES:
        client.logout()
        user = world.users[role]
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        if not expected_matches(response, expected_get[role], url):
            problems.append(f"GET {url} as {role}: expected {expected_get[role]}, got {response.status_code}")
        if expected_post is None or expected_post[role] is SKIP:
            continue
        before = snapshot()
        response = client.post(url, data(world) if data else {})
        if not expected_matches(response, expected_post[role], url):
            problems.append(
                f"POST {url} as {role}: expected {expected_post[role]}, got {response.status_code}"
            )
        if snapshot() != before:
            problems.append(f"POST {url} as {role} was refused but changed the database")
    return problems


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_every_role_gets_the_expected_answer(client, world, name):
    cases = [MATRIX[name], *EXTRA_CASES.get(name, []), *EXTRA_CASES.get(f"{name}#post", [])]
    problems = []
    for entry in cases:
        url = reverse(name, kwargs=entry.kwargs(world) if entry.kwargs else None)
        problems += check(client, world, url, entry.get, entry.post, entry.data)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(ADMIN_SAMPLES))
def test_admin_samples(client, world, name):
    kwargs, expected = ADMIN_SAMPLES[name]
    url = reverse(name, kwargs=kwargs(world) if kwargs else None)
    problems = check(client, world, url, expected)
    assert not problems, "\n".join(problems)
