"""Where a journey starts: the demo data (seed_demo) moved on by the project's own domain
functions, as if other people had already done their part in the open demo call.

Companies apply through projects.workflow (with real documents, so every automatic rule
passes), staff decide through the same functions as the queue, reviewers are assigned by
evaluation.assigning and score through evaluation.reviewing.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.demo import DEMO_ACCOUNTS
from accounts.models import User
from accounts.roles import Role, group_for
from competitions.models import Call, Region
from evaluation import reviewing
from evaluation.assigning import assign_reviewers
from evaluation.models import Assignment, Criterion, Panel, Reviewer
from projects import workflow
from projects.models import Application, Document, FiscalYear, Membership, Organisation
from projects.registration_number import check_digit
from tests.factories import cleared_to_score, reception_closed
from tests.projects.samples import pdf_bytes

DEMO_CALL = "pilot-city-demo"
BN = 1_000_000_000


def demo_user(role):
    email = next(account.email for account in DEMO_ACCOUNTS if account.role == role)
    return User.objects.get(email=email)


def demo_password(role):
    return next(account.password for account in DEMO_ACCOUNTS if account.role == role)


@dataclass(frozen=True)
class Proposal:
    company: str  # None: the demo applicant's own company
    first_nine: str
    owner: tuple[str, str]  # first and last name of the person who applies
    region: str
    field: int  # index of the call's service field
    title: str
    subsidy: int
    quality: float  # share of each criterion's maximum the reviewers give


# Six companies, four of them in the first field (at most 4 places): one is selected last, one
# waits in reserve; one proposal scores below the cutoff.
PROPOSALS = [
    Proposal(
        "", "", ("", ""), "busan", 0, "Smart crossings that give pedestrians more time", 280_000_000, 0.95
    ),
    Proposal(
        "Nuri Traffic Systems Co., Ltd.",
        "314860021",
        ("Seoyeon", "Han"),
        "daejeon",
        0,
        "Adaptive street lighting on the Eco Delta City boulevards",
        250_000_000,
        0.9,
    ),
    Proposal(
        "Gwangan Sensing Inc.",
        "605870033",
        ("Minjun", "Choi"),
        "busan",
        0,
        "Bridge and embankment sensors with a public flood map",
        200_000_000,
        0.86,
    ),
    Proposal(
        "Hanul Digital Twin Co., Ltd.",
        "220880045",
        ("Jiho", "Yoon"),
        "seoul",
        0,
        "A digital twin of the pilot city's underground utilities",
        300_000_000,
        0.82,
    ),
    Proposal(
        "Dasom Civic Tech Co., Ltd.",
        "410810057",
        ("Hayun", "Lim"),
        "gwangju",
        0,
        "Kerbside sensors for delivery and loading bays",
        150_000_000,
        0.78,
    ),
    Proposal(
        "Saebyeok Care Robotics Inc.",
        "503860069",
        ("Doyun", "Kang"),
        "daegu",
        2,
        "Night-time care robots for residents living alone",
        180_000_000,
        0.6,
    ),
]


def _registration_number(first_nine):
    return first_nine + str(check_digit(first_nine))


def _company(spec):
    """The organisation and its owner, registered as an applicant would (size class computed)."""
    if not spec.company:
        user = demo_user(Role.APPLICANT)
        return Organisation.objects.get(memberships__user=user), user
    organisation = Organisation.objects.create(
        name=spec.company,
        registration_number=_registration_number(spec.first_nine),
        kind="company",
        region=Region.objects.get(slug=spec.region),
        industry="ict",
    )
    for year, sales in [(2023, 18), (2024, 21), (2025, 24)]:
        FiscalYear.objects.create(
            organisation=organisation, year=year, sales=sales * BN, total_assets=sales * BN // 2
        )
    organisation.refresh_size_class()
    first, last = spec.owner
    user = User.objects.create_user(
        email=f"{first.lower()}.{last.lower()}@{spec.first_nine}.example",
        password=None,
        first_name=first,
        last_name=last,
    )
    Membership.objects.create(user=user, organisation=organisation, role=Membership.Role.OWNER)
    return organisation, user


def _attach(application, kind, user):
    document = Document(
        application=application,
        kind=kind,
        original_name=f"{kind}.pdf",
        file_format="pdf",
        size=len(pdf_bytes()),
        uploaded_by=user,
    )
    document.file.save(document.original_name, ContentFile(pdf_bytes()), save=False)
    document.save()


def submitted_applications(proposals=PROPOSALS):
    """Each company applies to the open demo call and submits, then its reception closes (staff
    decide eligibility only after that); returns the applications."""
    call = Call.objects.get(slug=DEMO_CALL)
    fields = list(call.service_fields.all())
    applications = []
    for spec in proposals:
        organisation, user = _company(spec)
        application = Application.objects.create(
            call=call,
            track=call.tracks.first(),
            service_field=fields[spec.field],
            lead=organisation,
            created_by=user,
            title=spec.title,
            summary=f"{spec.title}: a two-year demonstration in the national pilot smart city.",
            test_bed_region=Region.objects.get(slug="busan"),
            requested_subsidy=spec.subsidy,
            private_cash=spec.subsidy // 4,
            private_in_kind=spec.subsidy // 8,
        )
        for kind in ["proposal", "business_registration"]:
            _attach(application, kind, user)
        applications.append(workflow.submit(application, by=user))
    reception_closed(call)
    return applications


def review_panel(size=5):
    """The demo reviewer and colleagues from universities, on the demo call's panel."""
    call = Call.objects.get(slug=DEMO_CALL)
    panel = Panel.objects.get(call=call, track=None, service_field=None)
    reviewers = [Reviewer.objects.get(user=demo_user(Role.REVIEWER))]
    for n in range(1, size):
        user = User.objects.create_user(
            email=f"reviewer{n}@university{n}.example", password=None, first_name=f"Professor {n}"
        )
        user.groups.add(group_for(Role.REVIEWER))
        reviewers.append(Reviewer.objects.create(user=user, code=f"R-{100 + n}"))
    panel.reviewers.add(*reviewers)
    plan = call.evaluation_plan
    plan.review_due_at = timezone.now() + timedelta(days=14)
    plan.save(update_fields=["review_due_at"])
    return reviewers


def confirm_eligible(applications):
    staff = demo_user(Role.STAFF)
    return [workflow.decide_eligibility(a, by=staff, eligible=True) for a in applications]


def assign(call_slug=DEMO_CALL):
    call = Call.objects.get(slug=call_slug)
    return assign_reviewers(call, by=demo_user(Role.STAFF), seed=1)


def score(application, quality, *, skip_reviewer=None):
    """Every assigned reviewer (but ``skip_reviewer``) submits scores at ``quality``."""
    criteria = list(Criterion.objects.filter(plan__call=application.call_id))
    assignments = Assignment.objects.filter(application=application, state="active").select_related(
        "reviewer__user"
    )
    for n, assignment in enumerate(assignments.order_by("reviewer__code")):
        if assignment.reviewer_id == getattr(skip_reviewer, "pk", None):
            continue
        wobble = (n - 2) * 0.01
        entries = {c: (str(round(float(c.max_points) * min(1, quality + wobble), 1)), "") for c in criteria}
        reviewing.save_review(cleared_to_score(assignment), entries, by=assignment.reviewer.user, submit=True)


def scored_call():
    """Everything up to the end of the review: submitted, eligible, assigned, scored, closed."""
    applications = confirm_eligible(submitted_applications())
    review_panel()
    assign()
    for application, spec in zip(applications, PROPOSALS, strict=True):
        score(application, spec.quality)
    call = Call.objects.get(slug=DEMO_CALL)
    reviewing.close_review(call, by=demo_user(Role.STAFF))
    return list(Application.objects.filter(pk__in=[a.pk for a in applications]).order_by("reference"))
