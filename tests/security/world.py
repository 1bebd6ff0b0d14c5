"""One small world with every kind of object and every role, for the permission matrix and the
bad-input corpus: two organisations (the applicant's and another), an open call with drafts, a
call in evaluation with an assigned reviewer and a conflicted one, an objection, a project with
money, documents and a finished export job."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.roles import Role
from audit.models import ExportJob
from competitions.models import CallState, ImportJob
from evaluation import committee
from evaluation.generate import ensure_plan
from evaluation.models import Assignment, Objection, Panel, Reviewer
from projects import ledger
from projects.models import (
    Application,
    ApplicationState,
    ConsortiumMember,
    Document,
    MembershipInvitation,
    Organisation,
)
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    OrganisationFactory,
    ServiceFieldFactory,
    StaffFactory,
    TrackFactory,
    UserFactory,
    cleared_to_score,
    pilot_rules,
    signed_project,
)
from tests.projects.samples import pdf_bytes

ROLES = (
    "anonymous",
    "other_applicant",
    "applicant",
    "reviewer",
    "conflicted_reviewer",
    "staff",
    "auditor",
)
PASSWORD = "correct-horse-battery"


@dataclass
class World:
    users: dict
    org: object
    other_org: object
    open_call: object
    closed_call: object
    draft_call: object
    eval_call: object
    draft: object
    other_draft: object
    member: object
    consortium_request: object  # another draft proposes the applicant's org: waiting for its answer
    invitation: object  # another org invites the applicant
    document: object
    under_review: object
    assignment: object
    review_document: object
    not_selected: object
    objection: object
    selected: object
    project: object
    export_job: object
    reviewer_invitation: object = None  # an external reviewer invited by e-mail, not yet accepted
    import_job: object = None  # staff's finished background import of organisations


def attach(application, user, kind="proposal", name="proposal.pdf"):
    document = Document(
        application=application,
        kind=kind,
        original_name=name,
        file_format="pdf",
        size=len(pdf_bytes()),
        uploaded_by=user,
    )
    document.file.save(name, ContentFile(pdf_bytes()), save=False)
    document.save()
    return document


def build_world():
    now = timezone.now()
    staff = StaffFactory(email="staff@security.example")
    auditor = UserFactory(email="auditor@security.example", is_staff=True, roles=[Role.AUDITOR])
    applicant = UserFactory(email="applicant@security.example")
    other = UserFactory(email="other@security.example")
    org = OrganisationFactory(owners=[applicant], name="Applicant Org")
    other_org = OrganisationFactory(owners=[other], name="Other Org")

    open_call = CallFactory(
        slug="open-call",
        reference_prefix="OC26",
        state=CallState.PUBLISHED,
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=7),
    )
    TrackFactory(call=open_call, name="SME-led", max_awards=14)
    pilot_rules(open_call)
    closed_call = CallFactory(
        slug="closed-call",
        reference_prefix="CC26",
        state=CallState.PUBLISHED,
        opens_at=now - timedelta(days=30),
        closes_at=now - timedelta(days=1),
    )
    TrackFactory(call=closed_call, max_awards=5)
    draft_call = CallFactory(slug="draft-call", state=CallState.DRAFT)

    draft = ApplicationFactory(call=open_call, lead=org, created_by=applicant, title="Applicant draft")
    other_draft = ApplicationFactory(call=open_call, lead=other_org, created_by=other, title="Other draft")
    member = ConsortiumMember.objects.create(
        application=draft,
        organisation=OrganisationFactory(name="Member Org"),
        budget_share_percent=20,
        state="accepted",
    )
    consortium_request = ConsortiumMember.objects.create(
        application=other_draft, organisation=org, budget_share_percent=10, proposed_by=other
    )
    invitation = MembershipInvitation.objects.create(
        organisation=other_org, email=applicant.email, invited_by=other
    )
    document = attach(draft, applicant)
    attach(draft, applicant, kind="business_registration", name="certificate.pdf")
    attach(other_draft, other)

    eval_call = CallFactory(
        slug="eval-call",
        reference_prefix="EV26",
        state=CallState.EVALUATION,
        opens_at=now - timedelta(days=30),
        closes_at=now - timedelta(days=10),
    )
    TrackFactory(call=eval_call, name="SME-led", max_awards=4)
    field = ServiceFieldFactory(call=eval_call, name="Mobility", max_awards=2)
    ensure_plan(eval_call)

    def in_eval(lead, state, n, **extra):
        return ApplicationFactory(
            call=eval_call,
            lead=lead,
            created_by=applicant if lead == org else other,
            service_field=field,
            state=state,
            reference=f"EV26-{n:04d}",
            submitted_at=eval_call.closes_at - timedelta(hours=n),
            **extra,
        )

    under_review = in_eval(org, ApplicationState.UNDER_REVIEW, 1, title="Reviewed proposal")
    review_document = attach(under_review, applicant)
    in_eval(other_org, ApplicationState.UNDER_REVIEW, 2)

    reviewer_user = UserFactory(email="reviewer@security.example")
    reviewer = Reviewer.objects.create(
        user=reviewer_user, affiliation=OrganisationFactory(kind="university"), code="RSEC01"
    )
    conflicted_user = UserFactory(email="conflicted@security.example")
    conflicted = Reviewer.objects.create(user=conflicted_user, affiliation=org, code="RSEC02")
    panel = Panel.objects.create(call=eval_call, name="Panel")
    panel.reviewers.add(reviewer, conflicted)
    assignment = Assignment.objects.create(application=under_review, reviewer=reviewer)
    cleared_to_score(assignment)  # the pledge signed and no conflict declared: ready to score

    not_selected = in_eval(org, ApplicationState.NOT_SELECTED, 3, notified_at=now - timedelta(days=1))
    objection = Objection.objects.create(
        application=not_selected,
        outcome="not_selected",
        grounds="Scores ignore our pilot.",
        filed_by=applicant,
    )

    selected = in_eval(org, ApplicationState.SELECTED, 4, accepted_at=now)
    project = signed_project(selected, by=staff)
    ledger.post_payment(project, by=staff, amount=100_000_000, paid_on=date(2026, 5, 10))

    export_job = ExportJob.objects.create(
        requested_by=auditor, status=ExportJob.Status.DONE, progress=100, finished_at=now
    )
    export_job.calls.add(eval_call)
    export_job.file.save("funding.xlsx", ContentFile(b"PK\x03\x04 workbook"), save=True)

    import_job = ImportJob.objects.create(
        requested_by=staff,
        content_type=ContentType.objects.get_for_model(Organisation),
        file="django-import-export/organisations.xlsx",
        original_name="기관목록.xlsx",
        input_format="0",
        status=ImportJob.Status.DONE,
        total_rows=1,
        rows_done=1,
        totals={"new": 1, "update": 0, "delete": 0, "skip": 0},
        finished_at=now,
    )

    reviewer_invitation = committee.invite_reviewer(
        committee.Invitee("Invited Expert", "invited@security.example"), by=staff, site="http://testserver/"
    )

    users = {
        "anonymous": None,
        "other_applicant": other,
        "applicant": applicant,
        "reviewer": reviewer_user,
        "conflicted_reviewer": conflicted_user,
        "staff": staff,
        "auditor": auditor,
    }
    return World(
        users=users,
        org=org,
        other_org=other_org,
        open_call=open_call,
        closed_call=closed_call,
        draft_call=draft_call,
        eval_call=eval_call,
        draft=draft,
        other_draft=other_draft,
        member=member,
        consortium_request=consortium_request,
        invitation=invitation,
        document=document,
        under_review=under_review,
        assignment=assignment,
        review_document=review_document,
        not_selected=not_selected,
        objection=objection,
        selected=Application.objects.get(pk=selected.pk),
        project=project,
        export_job=export_job,
        reviewer_invitation=reviewer_invitation,
        import_job=import_job,
    )
