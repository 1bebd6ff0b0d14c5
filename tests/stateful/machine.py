"""A model-based test of the whole lifecycle (issue 13): random sequences of the real domain
functions, called as a user's request would call them, with users of the right roles.

Each example starts from a fresh world (tests.stateful.world) inside a savepoint that its
teardown rolls back. An ``initialize`` rule may first walk the call forward along the main path
(submitted, in evaluation, reviewed, published, awarded and paid) so that the random steps
reach every stage within a modest number of steps. A refused step (TransitionRefused,
PermissionDenied, ValidationError, AssignmentImpossible, EditConflict, a form's errors) is a
legitimate outcome and must change nothing: the rows of the world are compared before and
after. After every step the independent checker (tests.stateful.invariants) asserts DESIGN.md
§3's invariants, and every few steps the funding workbook's Checks sheet is read back.
"""

import os
import random
from datetime import timedelta
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from competitions.lifecycle import TransitionRefused, change_call_state, close_ended_receptions
from competitions.models import Call
from evaluation import kept_ranking, objections, reviewing, score_sheets, selection_runs
from evaluation.assigning import assign_reviewers
from evaluation.assignment import AssignmentImpossible
from evaluation.models import (
    Assignment,
    BonusAward,
    BonusRule,
    Criterion,
    DeclaredConflict,
    EvaluationPlan,
    Objection,
    Review,
    Score,
    ScoreSheet,
    SelectionResult,
    SelectionRun,
)
from projects import corrections, duplicates, identity, indicators, ledger, reports, workflow, years
from projects.models import (
    AgreementParty,
    Application,
    Award,
    ConsortiumMember,
    ConsortiumMemberState,
    CorrectionItem,
    CorrectionRequest,
    DisbursementEntry,
    Document,
    Expenditure,
    FiscalYear,
    FundingPlanRevision,
    Membership,
    MembershipInvitation,
    Organisation,
    OutboxMessage,
    Project,
    ProjectState,
    ProjectYear,
    RegistrationNumberRecord,
    Report,
    ReportStatus,
    Sanction,
    Settlement,
)
from projects.outbox import send_pending
from projects.registration_number import format_registration_number
from projects.workflow import EditConflict
from tests.factories import ApplicationFactory, UserFactory, cleared_to_score, registration_number
from tests.projects.samples import pdf_bytes

from . import invariants
from .stats import STATS
from .world import M, build_world, funding_plan, owner_of, region

REFUSALS = (TransitionRefused, PermissionDenied, ValidationError, AssignmentImpossible, EditConflict)
# Invariant codes to leave unasserted (for finding one violation after another while the
# product still has the earlier ones): GONGMO_STATEFUL_SKIP=conflicts,places.field
SKIP = {code for code in os.environ.get("GONGMO_STATEFUL_SKIP", "").split(",") if code}
WORKBOOK_EVERY = int(os.environ.get("GONGMO_STATEFUL_WORKBOOK_EVERY", "5"))

STAGES = (
    "drafts",
    "submitted",
    "in_evaluation",
    "under_review",
    "scored",
    "published",
    "awarded",
    "reported",  # awarded and paid, the final reports submitted, some accepted and settled
    "re_reviewed",  # published, then an upheld objection, its re-review and a new run
)
# Most sequences start after the results are out, where most paths branch (a stage listed
# twice is drawn twice as often).
STAGE_DRAWS = STAGES + ("scored", "published", "published", "awarded", "reported", "re_reviewed")
pick = st.integers(min_value=0, max_value=63)
percent = st.integers(min_value=40, max_value=100)
# How far ahead of now a beat runs: the next minute, past the duplicate sweep's grace, past a
# week (reminders, correction deadlines), past a project's end (follow-up reports).
BEAT_JUMPS = (timedelta(0), timedelta(minutes=3), timedelta(days=8), timedelta(days=400))


# Every table a step could change: a refused step must leave each row as it was, every column.
SNAPSHOT_MODELS = (
    Call,
    Application,
    Organisation,
    RegistrationNumberRecord,
    FiscalYear,
    Membership,
    MembershipInvitation,
    ConsortiumMember,
    Assignment,
    Review,
    Score,
    DeclaredConflict,
    ScoreSheet,
    SelectionRun,
    SelectionResult,
    Objection,
    Award,
    Project,
    DisbursementEntry,
    Expenditure,
    Settlement,
    Report,
    Sanction,
    CorrectionRequest,
    CorrectionItem,
    FundingPlanRevision,
    Document,
    ProjectYear,
    AgreementParty,
)


def snapshot():
    """Every row a step could change, whole, as plain values (the world is small): one plain
    SELECT a table, and the number of state logs and queued e-mails."""
    with connection.cursor() as cursor:
        tables = {}
        for model in SNAPSHOT_MODELS:
            table, pk = model._meta.db_table, model._meta.pk.column
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY "{pk}"')  # noqa: S608 (model names)
            tables[table] = cursor.fetchall()
        for model in (StateLog, OutboxMessage):
            cursor.execute(f'SELECT COUNT(*) FROM "{model._meta.db_table}"')  # noqa: S608
            tables[model._meta.db_table] = cursor.fetchone()[0]
    return tables


def changes(before, after):
    """{table: (rows only before, rows only after)} of the tables that differ."""
    found = {}
    for table in before:
        if before[table] == after[table]:
            continue
        if isinstance(before[table], list):
            # (rows may hold unhashable values, e.g. JSON from PostgreSQL)
            found[table] = (
                [row for row in before[table] if row not in after[table]],
                [row for row in after[table] if row not in before[table]],
            )
        else:
            found[table] = (before[table], after[table])
    return found


def _choose(items, index):
    items = list(items)
    return items[index % len(items)] if items else None


def pdf(name):
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


class LifecycleMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        STATS.sequences += 1
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        cache.clear()
        self.world = build_world(STATS.sequences)
        self.call = self.world.call
        self.staff = self.world.staff
        self.step = 0  # domain calls made, numbered in messages
        self.rules_run = 0
        self._criteria = None
        self._census = {}  # self.can's answers for the current state
        self.checked_state = None  # the rows the invariants were last checked on
        self.states_checked = 0
        self.sanctions = []  # invariants.SanctionEvent
        self.submissions = []  # invariants.SubmissionEvent
        self.new_numbers = 0
        self.tranche = 0
        # Registration numbers: who held which (the checker's own record) and the changes staff
        # made with a reason (the only allowed ones).
        self.numbers = invariants.NumberWatch()
        self.numbers.observe(Organisation.objects.values_list("pk", "registration_number"))

    def teardown(self):
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # --- helpers ------------------------------------------------------------------------------

    def attempt(self, label, action):
        """Run one domain call; a refusal must leave every row as it was."""
        self.step += 1
        STATS.calls += 1
        before = snapshot()
        try:
            return action()
        except REFUSALS as exc:
            STATS.refused += 1
            changed = changes(before, snapshot())
            assert not changed, f"step {self.step} {label} was refused ({exc}) but changed {changed}"
            return None

    def can(self, what):
        """Whether the world has something for a rule to act on (read once a step): a rule that
        would find nothing to act on is not drawn, so the steps go to rules that do something
        (or try something that must be refused)."""
        if what not in self._census:
            on_call = {"application__call": self.call}
            on_projects = {"project__award__application__call": self.call}
            self._census[what] = {
                "open_assignments": lambda: (
                    Assignment.objects.filter(**on_call, state="active")
                    .exclude(review__state=Review.State.SUBMITTED)
                    .exists()
                ),
                "consortium": lambda: ConsortiumMember.objects.filter(**on_call).exists(),
                "unverified": lambda: Organisation.objects.filter(
                    kind="local_government", verified_at__isnull=True
                ).exists(),
                "unconfirmed_run": lambda: (
                    SelectionRun.objects.filter(call=self.call)
                    .order_by("-number")
                    .values_list("confirmed_at", flat=True)[:1]
                    .first()
                    is None
                    and SelectionRun.objects.filter(call=self.call).exists()
                ),
                "under_review": lambda: Application.objects.filter(
                    call=self.call, state="under_review"
                ).exists(),
                "published": lambda: Call.objects.filter(pk=self.call.pk, state="published").exists(),
                "objections": lambda: Objection.objects.filter(**on_call, state="filed").exists(),
                "unsigned_awards": lambda: Award.objects.filter(**on_call, project__isnull=True).exists(),
                "projects": lambda: Project.objects.filter(award__application__call=self.call).exists(),
                "years": lambda: ProjectYear.objects.filter(
                    project__award__application__call=self.call
                ).exists(),
                "entries": lambda: DisbursementEntry.objects.filter(**on_projects).exists(),
                "expenditures": lambda: Expenditure.objects.filter(**on_projects).exists(),
                "reports": lambda: Report.objects.filter(**on_projects).exists(),
                "corrections": lambda: Application.objects.filter(
                    call=self.call, state="correction_requested"
                ).exists(),
            }[what]()
        return self._census[what]

    def applications(self, *states):
        queryset = Application.objects.filter(call=self.call).order_by("pk")
        return list(queryset.filter(state__in=states) if states else queryset)

    def owner(self, application):
        return owner_of(self.world, application)

    def criteria(self):
        if self._criteria is None:  # the plan's criteria never change in a sequence
            self._criteria = list(Criterion.objects.filter(plan__call=self.call).order_by("position", "pk"))
        return self._criteria

    def entries(self, percents):
        return {
            criterion: (str((criterion.max_points * p / 100).quantize(Decimal(1))), "")
            for criterion, p in zip(self.criteria(), percents, strict=False)
        }

    def record_submission(self, application):
        application = Application.objects.get(pk=application.pk)
        organisations = {application.lead_id} | set(
            ConsortiumMember.objects.filter(
                application=application, state=ConsortiumMemberState.ACCEPTED
            ).values_list("organisation_id", flat=True)
        )
        numbers = set(
            Organisation.objects.filter(pk__in=organisations).values_list("registration_number", flat=True)
        )
        self.submissions.append(
            invariants.SubmissionEvent(
                self.step, application.pk, application.reference, frozenset(organisations), frozenset(numbers)
            )
        )

    # --- the main path, as a prefix -------------------------------------------------------------

    @initialize(stage=st.sampled_from(STAGE_DRAWS), seed=st.integers(min_value=0, max_value=2**16))
    def walk_forward(self, stage, seed):
        """Walk the call along the main path up to ``stage``, through the same functions."""
        rng = random.Random(seed)
        target = STAGES.index(stage)
        if target >= 1:
            # The proposed consortium members answer (the local government, once verified).
            for partner in self.world.partners:
                if partner.kind == "local_government" and rng.random() < 0.8:
                    self._verify(partner)
            for member in self.pending_members():
                self._answer(member, accept=rng.random() < 0.9)
            for application in self.applications("draft"):
                self._submit(application, late=False)
        if target >= 2:
            self.start_evaluation()
            for application in self.applications("submitted"):
                draw = rng.random()
                if 0.1 < draw <= 0.2:  # sent back for a correction instead of being decided
                    self._request_correction(application, self.CORRECTABLE[int(draw * 100) % 3])
                else:
                    self._decide(application, eligible=draw > 0.1)
        if target >= 3:
            self.assign(seed=rng.randrange(100))
        if target >= 4:
            for assignment in Assignment.objects.filter(application__call=self.call, state="active").order_by(
                "pk"
            ):
                self._review(assignment, [rng.randint(40, 100) for _ in range(5)], submit=True)
            self.close_review()
        if target >= 5:
            self.record_run()
            self.confirm_latest_run()
        if stage == "re_reviewed":
            self.walk_objection(rng)
        elif target >= STAGES.index("awarded"):
            for application in self.applications("selected"):
                self._accept(application)
                award = self.attempt(
                    "create_award", lambda a=application: ledger.create_award(a, by=self.staff)
                )
                if award is not None:
                    project = self._sign(award)
                    if project is not None and rng.random() < 0.7:
                        # Paid by agreement year: two years, the first paid half now.
                        self._add_years(project, rng.choice([50, 60, 70]))
                        self._pay_year(project, 1, 50)
                    elif project is not None:
                        self._pay(project, 50)
        if stage == "reported":
            for report in self.reports(kind=Report.Kind.ANNUAL):
                if report.year.number == 1 and rng.random() < 0.8 and self._submit_report(report) is not None:
                    accepted = rng.random() < 0.8
                    self._review_report(report, accept=accepted)
                    # Year 2's tranche: paid once year 1's report is accepted, refused otherwise.
                    self._pay_year(report.project, 2, 50)
            for report in self.reports(kind=Report.Kind.FINAL):
                if self._submit_report(report) is not None and rng.random() < 0.7:
                    accepted = self._review_report(report, accept=rng.random() < 0.8)
                    if accepted is not None and rng.random() < 0.6:
                        self.attempt(
                            f"settle {report.project.code}",
                            lambda p=report.project: ledger.settle(p, by=self.staff),
                        )

    def walk_objection(self, rng):
        """An applicant not selected objects, staff uphold it, the new reviewers all submit,
        and staff record and confirm a new run."""
        application = _choose(self.applications("not_selected"), rng.randrange(64))
        if application is None:
            return
        user = self.owner(application)
        objection = self.attempt(
            f"object to {application.reference}",
            lambda: objections.file_objection(
                application, by=user, grounds="The scores contradict each other."
            ),
        )
        if objection is None:
            return
        self.attempt(
            f"uphold the objection of {application.reference}",
            lambda: objections.decide_objection(objection, by=self.staff, uphold=True, decision="Re-review."),
        )
        self.panel_submits([rng.randint(70, 100) for _ in range(5)])
        self.close_review()
        self.record_run()
        self.confirm_with_changes()

    # --- beat: the periodic tasks ------------------------------------------------------------

    @rule(jump=st.sampled_from(BEAT_JUMPS))
    def beat(self, jump):
        """Beat runs every periodic task that acts on the domain, as if ``jump`` had passed: the
        outbox, the duplicate-funding sweep, overdue corrections, ended receptions, the kept
        ranking, reviewers' and reports' reminders, follow-up reports. A task refuses nobody:
        whatever it meets, it must neither raise nor break an invariant."""
        self.step += 1
        STATS.calls += 1
        STATS.beats += 1
        now = timezone.now() + jump
        today = timezone.localdate(now)
        send_pending(limit=1000)
        duplicates.check_unchecked(now=now)
        corrections.return_overdue(now=now)
        close_ended_receptions(now=now)
        selection_runs.rank_ahead()
        reviewing.remind_reviewers(now=now)
        reports.remind_due_reports(today=today)
        indicators.follow_up_reports(today=today)

    @rule(percents=st.lists(percent, min_size=5, max_size=5))
    @precondition(lambda self: self.can("open_assignments"))
    def panel_submits(self, percents):
        """Every reviewer with an open assignment submits (the same marks, for brevity)."""
        for assignment in self.open_assignments():
            self._review(assignment, percents, submit=True)

    # --- applicants: organisations and submissions ------------------------------------------------

    def _submit(self, application, *, late):
        call = Call.objects.get(pk=self.call.pk)
        now = call.closes_at + timedelta(seconds=1) if late else call.closes_at - timedelta(hours=1)
        user = self.owner(application)
        done = self.attempt(
            f"submit {application.title}", lambda: workflow.submit(application, by=user, now=now)
        )
        if done is not None:
            self.record_submission(done)
        return done

    @rule(index=pick, late=st.booleans())
    def submit(self, index, late):
        application = _choose(self.applications("draft"), index) or _choose(self.applications(), index)
        self._submit(application, late=late)

    @rule(index=pick)
    def withdraw(self, index):
        application = _choose(self.applications(), index)
        user = self.owner(application)
        self.attempt("withdraw", lambda: workflow.withdraw(application, by=user, reason="No longer needed"))

    def _organisation_data(self, organisation, number):
        data = {
            "name": organisation.name,
            "registration_number": number,
            "kind": organisation.kind,
            "region": organisation.region_id,
            "industry": organisation.industry or "ict",
        }
        years = list(FiscalYear.objects.filter(organisation=organisation).order_by("-year"))
        data.update(
            {
                "years-TOTAL_FORMS": "3",
                "years-INITIAL_FORMS": str(len(years)),
                "years-MIN_NUM_FORMS": "0",
                "years-MAX_NUM_FORMS": "3",
            }
        )
        for n, year in enumerate(years):
            data.update(
                {
                    f"years-{n}-id": year.pk,
                    f"years-{n}-year": year.year,
                    f"years-{n}-sales": year.sales,
                    f"years-{n}-total_assets": year.total_assets,
                }
            )
        return data

    def _post(self, label, user, url, data):
        """A form posted by ``user``: a redirect is success; a page with errors must change nothing."""
        client = Client(headers={"accept-language": "en"})
        client.force_login(user)
        self.step += 1
        STATS.calls += 1
        before = snapshot()
        response = client.post(url, data)
        assert response.status_code in (200, 302, 403, 404), (
            f"step {self.step} {label}: {response.status_code}"
        )
        if response.status_code != 302:
            STATS.refused += 1
            changed = changes(before, snapshot())
            assert not changed, f"step {self.step} {label} was refused but changed {changed}"
            return False
        return True

    def fresh_number(self):
        self.new_numbers += 1
        return registration_number(self.world.number_seed + self.new_numbers)

    @rule(index=pick, dashed=st.booleans(), taken=st.booleans())
    def edit_registration_number(self, index, dashed, taken):
        """The owner tries to change the organisation's number through the organisation form
        (to a new number, or to one another organisation holds or once held): the form no longer
        takes a number, so it must be refused and change nothing (DESIGN.md §3, finding 15)."""
        sanctioned = [Organisation.objects.get(pk=s.organisation_id) for s in self.sanctions]
        organisation = _choose(sanctioned + self.world.organisations, index)
        organisation.refresh_from_db()
        owner = Membership.objects.filter(organisation=organisation, role="owner").first().user
        others = self.numbers.held_by_others(organisation.pk)
        number = _choose(others, index) if taken and others else self.fresh_number()
        accepted = self._post(
            f"edit the registration number of {organisation.name} to {number}",
            owner,
            reverse("projects:organisation_edit", args=[organisation.pk]),
            self._organisation_data(organisation, format_registration_number(number) if dashed else number),
        )
        assert not accepted, (
            f"step {self.step}: the owner of {organisation.name} changed its number to {number}"
        )

    @rule(
        index=pick,
        reason=st.sampled_from(["Typo at registration, corrected from the certificate.", ""]),
        taken=st.booleans(),
    )
    def change_registration_number(self, index, reason, taken):
        """Staff correct an organisation's number, with a reason (refused without one, and for a
        number another organisation holds or once held)."""
        sanctioned = [Organisation.objects.get(pk=s.organisation_id) for s in self.sanctions]
        organisation = _choose(sanctioned + self.world.organisations, index)
        organisation.refresh_from_db()
        others = self.numbers.held_by_others(organisation.pk)
        number = _choose(others, index) if taken and others else self.fresh_number()
        done = self.attempt(
            f"staff change the registration number of {organisation.name} to {number}",
            lambda: identity.change_registration_number(
                organisation, format_registration_number(number), by=self.staff, reason=reason
            ),
        )
        if done is not None:
            self.numbers.allow(organisation.pk, number)

    @rule(
        index=pick,
        dashed=st.booleans(),
        track=st.sampled_from(["sme", "open"]),
        kind=st.sampled_from(["company", "company", "local_government"]),
    )
    def register_and_draft(self, index, dashed, track, kind):
        """A new organisation registers and starts a draft: with a number a sanctioned (or any)
        organisation held once, when there is one (the registration must be refused: a number
        identifies one organisation for ever), or a new one; a local government registers
        unverified and cannot submit until staff verify it."""
        held = self.numbers.held_by_others(None)
        sanctioned = [s.number for s in self.sanctions]
        number = _choose(sanctioned or held, index) if index % 2 else self.fresh_number()
        user = UserFactory(email=f"founder{self.step}-{STATS.sequences}@company.example")
        template = self.world.organisations[0]
        data = self._organisation_data(template, format_registration_number(number) if dashed else number)
        data["name"] = f"New Company {self.step}" if kind == "company" else f"Gimhae City {self.step}"
        data["kind"] = kind
        data.update({"years-INITIAL_FORMS": "0"})
        for n in range(3):
            data.pop(f"years-{n}-id", None)
        registered = self._post(f"register {number}", user, reverse("projects:organisation_create"), data)
        assert not (registered and number in held), (
            f"step {self.step}: a new organisation registered {number}, which another organisation held"
        )
        if not registered:
            return
        organisation = Organisation.objects.get(memberships__user=user)
        self.numbers.observe([(organisation.pk, organisation.registration_number)])
        requested = 150 * M
        ApplicationFactory(
            call=self.call,
            track=self.world.tracks[track],
            service_field=self.world.fields[index % len(self.world.fields)],
            lead=organisation,
            created_by=user,
            title=f"Pilot by {organisation.name}",
            requested_subsidy=requested,
            **funding_plan(requested, large=False),
        )

    def pending_members(self):
        return list(
            ConsortiumMember.objects.filter(application__call=self.call, state=ConsortiumMemberState.PENDING)
            .select_related("organisation")
            .order_by("pk")
        )

    def _answer(self, member, *, accept):
        user = self.world.owners.get(member.organisation_id) or owner_of(self.world, member.application)
        return self.attempt(
            f"{'accept' if accept else 'decline'} the consortium place of {member.organisation.name}",
            lambda: identity.respond_to_consortium(member, by=user, accept=accept),
        )

    @rule(index=pick, accept=st.booleans(), lead=st.booleans())
    @precondition(lambda self: self.can("consortium"))
    def answer_consortium(self, index, accept, lead):
        """A proposed member's own person accepts or declines its place (an unverified public
        body is refused); the lead's owner answering for it is refused."""
        member = _choose(self.pending_members(), index) or _choose(
            ConsortiumMember.objects.filter(application__call=self.call).order_by("pk"), index
        )
        if member is None:
            return
        if lead:
            user = self.owner(member.application)
            self.attempt(
                f"the lead answers for {member.organisation.name}",
                lambda: identity.respond_to_consortium(member, by=user, accept=accept),
            )
        else:
            self._answer(member, accept=accept)

    @rule(index=pick, reviewer=st.integers(min_value=0, max_value=5), accept=st.booleans())
    def join_organisation(self, index, reviewer, accept):
        """An owner invites a reviewer of the panel to join an applying organisation, and the
        reviewer answers: once a member, the reviewer is conflicted with the organisation's
        applications and with the whole call, and may no longer score them (DESIGN.md §3,
        finding 16); a review already submitted before stays as it was."""
        organisation = _choose(self.world.organisations, index)
        owner = self.world.owners[organisation.pk]
        user = self.world.reviewers[reviewer].user
        self.attempt(
            f"invite {self.world.reviewers[reviewer].code} to {organisation.name}",
            lambda: identity.invite_member(organisation, user.email, by=owner),
        )
        invitation = MembershipInvitation.objects.filter(
            organisation=organisation, email__iexact=user.email, state=MembershipInvitation.State.PENDING
        ).first()
        if invitation is not None:
            self.attempt(
                f"{'accept' if accept else 'decline'} the invitation of {organisation.name}",
                lambda: identity.respond_to_invitation(invitation, by=user, accept=accept),
            )

    def _verify(self, organisation):
        return self.attempt(
            f"verify {organisation.name}", lambda: identity.verify_organisation(organisation, by=self.staff)
        )

    @rule(index=pick)
    @precondition(lambda self: self.can("unverified"))
    def verify_public_body(self, index):
        """Staff verify a local government (one that waits, when there is one)."""
        waiting = Organisation.objects.filter(kind="local_government", verified_at__isnull=True).order_by(
            "pk"
        )
        organisation = _choose(waiting, index) or _choose(
            Organisation.objects.filter(kind="local_government").order_by("pk"), index
        )
        if organisation is not None:
            self._verify(organisation)

    # --- staff: the call, eligibility, reviewers ---------------------------------------------------

    @rule()
    @precondition(lambda self: self.can("published"))
    def start_evaluation(self):
        self.attempt(
            "start evaluation", lambda: change_call_state(self.call, "start_evaluation", by=self.staff)
        )

    def _decide(self, application, *, eligible):
        reason = "" if eligible else "The consortium agreement is not signed."
        return self.attempt(
            f"{'confirm' if eligible else 'reject'} {application.reference or application.title}",
            lambda: workflow.decide_eligibility(application, by=self.staff, eligible=eligible, reason=reason),
        )

    @rule(index=pick, eligible=st.booleans())
    def decide_eligibility(self, index, eligible):
        application = _choose(self.applications("submitted"), index) or _choose(self.applications(), index)
        self._decide(application, eligible=eligible)

    # --- correction requests (보완 요청) -----------------------------------------------------------

    CORRECTABLE = (
        [("document", "business_registration")],
        [("funding_plan", "")],
        [("document", "business_registration"), ("funding_plan", "")],
    )

    def _request_correction(self, application, parts):
        return self.attempt(
            f"request a correction of {application.reference or application.title}",
            lambda: corrections.request_correction(
                application,
                by=self.staff,
                parts=parts,
                message="The certificate is unreadable.",
                deadline=timezone.now() + timedelta(days=2),
            ),
        )

    @rule(index=pick, parts=st.integers(min_value=0, max_value=2))
    def request_correction(self, index, parts):
        application = _choose(self.applications("submitted"), index) or _choose(self.applications(), index)
        self._request_correction(application, self.CORRECTABLE[parts])

    def _open_request(self, application):
        return CorrectionRequest.objects.filter(application=application, status="open").first()

    @rule(index=pick, what=st.sampled_from(["document", "funding_plan", "proposal"]), late=st.booleans())
    @precondition(lambda self: self.can("corrections"))
    def correct(self, index, what, late):
        """The applicant corrects a part (named or not), on time or a second late."""
        application = _choose(self.applications("correction_requested"), index)
        request = self._open_request(application)
        now = request.deadline + timedelta(seconds=1) if late else None
        user = self.owner(application)
        if what == "funding_plan":
            action = lambda: corrections.correct_funding_plan(  # noqa: E731
                application, {"private_cash": application.private_cash + 1_000_000}, by=user, now=now
            )
        else:
            kind = "business_registration" if what == "document" else "proposal"
            action = lambda: corrections.replace_document(  # noqa: E731
                application, kind=kind, upload=pdf(f"{kind}.pdf"), by=user, now=now
            )
        self.attempt(f"correct {what} of {application.reference}{' late' if late else ''}", action)

    @rule(index=pick, late=st.booleans())
    @precondition(lambda self: self.can("corrections"))
    def resubmit_correction(self, index, late):
        application = _choose(self.applications("correction_requested"), index)
        request = self._open_request(application)
        now = request.deadline + timedelta(seconds=1) if late else None
        user = self.owner(application)
        self.attempt(
            f"resubmit {application.reference}", lambda: corrections.resubmit(application, by=user, now=now)
        )

    @rule(index=pick)
    @precondition(lambda self: self.can("corrections"))
    def correction_deadline_passes(self, index):
        application = _choose(self.applications("correction_requested"), index)
        request = self._open_request(application)
        self.attempt(
            f"correction deadline of {application.reference} passes",
            lambda: corrections.return_overdue(now=request.deadline + timedelta(seconds=1)),
        )

    @rule(seed=st.integers(min_value=0, max_value=99))
    def assign(self, seed):
        self.attempt("assign reviewers", lambda: assign_reviewers(self.call, by=self.staff, seed=seed))

    # --- reviewers -------------------------------------------------------------------------------

    def _review(self, assignment, percents, *, submit):
        user = assignment.reviewer.user
        return self.attempt(
            f"review {assignment.application.reference} by {assignment.reviewer.code}",
            lambda: reviewing.save_review(
                cleared_to_score(assignment), self.entries(percents), by=user, submit=submit
            ),
        )

    def open_assignments(self):
        return list(
            Assignment.objects.filter(application__call=self.call, state="active")
            .exclude(review__state=Review.State.SUBMITTED)
            .select_related("application", "reviewer__user")
            .order_by("pk")
        )

    @rule(index=pick, percents=st.lists(percent, min_size=5, max_size=5), submit=st.booleans())
    @precondition(lambda self: self.can("open_assignments"))
    def review(self, index, percents, submit):
        assignment = _choose(self.open_assignments(), index)
        if assignment is not None:
            self._review(assignment, percents, submit=submit)

    @rule(index=pick)
    @precondition(lambda self: self.can("open_assignments"))
    def recuse(self, index):
        assignment = _choose(self.open_assignments(), index)
        if assignment is not None:
            user = assignment.reviewer.user
            self.attempt(
                f"recusal of {assignment.reviewer.code} from {assignment.application.reference}",
                lambda: reviewing.recuse(assignment, by=user, reason="I advised this company last year."),
            )

    @rule()
    @precondition(lambda self: self.can("under_review"))
    def close_review(self):
        self.attempt("close review", lambda: reviewing.close_review(self.call, by=self.staff))

    # --- selection -------------------------------------------------------------------------------

    @rule()
    def preview_ranking(self):
        """Staff open the ranking page: its preview reads the ranking kept since the last one
        unless something it depends on changed since, and must equal the ranking read afresh
        (whatever steps came in between: the kept ranking's version must have noticed them)."""
        settings = self.attempt("preview the ranking", lambda: selection_runs.settings_of(self.call))
        if settings is None or settings.stages:
            return
        kept = kept_ranking.kept_ranked(self.call, settings.plan, settings.scoring)
        fresh = score_sheets.ranked(self.call, settings.plan, settings.scoring)
        assert kept == fresh, f"step {self.step}: the kept ranking is not the ranking read afresh"
        STATS.kept_rankings += 1

    @rule()
    def record_run(self):
        self.attempt("record a run", lambda: selection_runs.run_selection(self.call, by=self.staff))

    @rule()
    @precondition(lambda self: self.can("unconfirmed_run"))
    def confirm_latest_run(self):
        run = SelectionRun.objects.filter(call=self.call).order_by("-number").first()
        if run is not None:
            self.attempt(f"confirm run #{run.number}", lambda: selection_runs.confirm_run(run, by=self.staff))

    @rule()
    @precondition(lambda self: self.can("unconfirmed_run"))
    def confirm_with_changes(self):
        """Staff read the list of changes the latest run makes to published outcomes and confirm
        the run with it (DESIGN.md §3: a re-run changes published outcomes only so)."""
        run = SelectionRun.objects.filter(call=self.call).order_by("-number").first()
        if run is None:
            return
        _first, listed, _refusals = selection_runs.reconcile(run)
        self.attempt(
            f"confirm run #{run.number} with its {len(listed)} changes",
            lambda: selection_runs.confirm_run(
                run, by=self.staff, accepted_changes=selection_runs.changes_digest(listed)
            ),
        )

    @rule(index=pick)
    def decline(self, index):
        application = _choose(self.applications("selected"), index) or _choose(self.applications(), index)
        user = self.owner(application)
        self.attempt(
            f"decline {application.reference}",
            lambda: selection_runs.decline(application, by=user, reason="We cannot start this year."),
        )

    def _accept(self, application):
        user = self.owner(application)
        return self.attempt(
            f"accept {application.reference}", lambda: ledger.accept_selection(application, by=user)
        )

    @rule(index=pick)
    def accept(self, index):
        self._accept(_choose(self.applications("selected"), index) or _choose(self.applications(), index))

    @rule(index=pick)
    def object(self, index):
        application = _choose(self.applications("not_selected", "ineligible", "reserve"), index) or _choose(
            self.applications(), index
        )
        user = self.owner(application)
        self.attempt(
            f"object to {application.reference}",
            lambda: objections.file_objection(
                application, by=user, grounds="Our reviews contradict each other."
            ),
        )

    @rule(index=pick, uphold=st.booleans(), seed=st.integers(min_value=0, max_value=99))
    @precondition(lambda self: self.can("objections"))
    def decide_objection(self, index, uphold, seed):
        objection = _choose(
            Objection.objects.filter(application__call=self.call, state="filed").order_by("pk"), index
        )
        if objection is not None:
            self.attempt(
                f"{'uphold' if uphold else 'dismiss'} the objection of {objection.application.reference}",
                lambda: objections.decide_objection(
                    objection, by=self.staff, uphold=uphold, decision="Decided on the file.", seed=seed
                ),
            )

    # --- award and agreement ---------------------------------------------------------------------

    @rule(index=pick, lower=st.booleans())
    def award(self, index, lower):
        application = _choose(self.applications("selected"), index) or _choose(self.applications(), index)
        subsidy = application.requested_subsidy * 9 // 10 if lower else None
        self.attempt(
            f"award {application.reference}",
            lambda: ledger.create_award(
                application,
                by=self.staff,
                national_subsidy=subsidy,
                reason="Equipment budget trimmed." if lower else "",
            ),
        )

    def _sign(self, award):
        today = timezone.localdate()
        return self.attempt(
            f"sign the agreement of {award.application.reference}",
            lambda: ledger.sign_agreement(
                award,
                by=self.staff,
                signed_on=today - timedelta(days=30),
                parties="MOLIT",
                starts_on=today - timedelta(days=30),
                ends_on=today + timedelta(days=300),
            ),
        )

    @rule(index=pick)
    @precondition(lambda self: self.can("unsigned_awards"))
    def sign(self, index):
        award = _choose(
            Award.objects.filter(application__call=self.call, project__isnull=True).order_by("pk"), index
        )
        if award is not None:
            self._sign(award)

    # --- money -------------------------------------------------------------------------------------

    def projects(self):
        return list(
            Project.objects.filter(award__application__call=self.call).select_related("award").order_by("pk")
        )

    def _pay(self, project, share):
        amount = project.award.national_subsidy * share // 100
        return self.attempt(
            f"pay {amount:,} to {project.code}",
            lambda: ledger.post_payment(
                project,
                by=self.staff,
                amount=amount,
                paid_on=timezone.localdate(),
                reference=f"PAY-{self.step}",
            ),
        )

    @rule(index=pick, share=st.sampled_from([10, 30, 50, 100]))
    @precondition(lambda self: self.can("projects"))
    def pay(self, index, share):
        project = _choose(self.projects(), index)
        if project is not None:
            self._pay(project, share)

    # --- agreement years (issue 16): tranches per year, gated by the annual report ----------------

    def _add_years(self, project, first_share):
        """Staff split the agreement into two years whose subsidies add up to the award: the
        first from the signature for 150 days, the second to the end of the demonstration."""
        project = Project.objects.select_related("award").get(pk=project.pk)
        award = project.award.national_subsidy
        first = award * first_share // 100
        split = project.starts_on + timedelta(days=150)
        for number, (starts_on, ends_on, subsidy) in enumerate(
            [(project.starts_on, split, first), (split + timedelta(days=1), project.ends_on, award - first)],
            1,
        ):
            done = self.attempt(
                f"add year {number} ({subsidy:,}) to {project.code}",
                lambda a=starts_on, b=ends_on, c=subsidy: years.add_year(
                    project, by=self.staff, starts_on=a, ends_on=b, national_subsidy=c, total_cost=c
                ),
            )
            if done is None:
                return

    @rule(index=pick, first_share=st.sampled_from([50, 60, 70]))
    @precondition(lambda self: self.can("projects"))
    def add_years(self, index, first_share):
        """Staff add the agreement's years to a project (refused once it has them, or when it is
        no longer active)."""
        project = _choose(self.projects(), index)
        if project is not None:
            self._add_years(project, first_share)

    def _pay_year(self, project, number, share):
        year = ProjectYear.objects.filter(project=project, number=number).first()
        amount = (year.national_subsidy if year else project.award.national_subsidy) * share // 100
        entry = self.attempt(
            f"pay {amount:,} into year {number} of {project.code}",
            lambda: ledger.post_payment(
                project,
                by=self.staff,
                amount=amount,
                paid_on=timezone.localdate(),
                reference=f"PAY-{self.step}",
                year=number,
            ),
        )
        if entry is not None:
            STATS.year_payments += 1
            STATS.later_year_payments += number > 1
        return entry

    @rule(index=pick, number=st.sampled_from([1, 2, 2, 3]), share=st.sampled_from([30, 50, 70, 100]))
    @precondition(lambda self: self.can("years"))
    def pay_year(self, index, number, share):
        """A tranche into one year of a project with years: beyond the year's subsidy, into a
        year that does not exist, or into year 2 before year 1's annual report is accepted, it
        is refused."""
        project = _choose([p for p in self.projects() if p.pk in self.projects_with_years()], index)
        if project is not None:
            self._pay_year(project, number, share)

    def projects_with_years(self):
        return set(
            ProjectYear.objects.filter(project__award__application__call=self.call).values_list(
                "project_id", flat=True
            )
        )

    @rule(index=pick, accept=st.booleans(), submit_first=st.booleans())
    @precondition(lambda self: self.can("years"))
    def annual_report(self, index, accept, submit_first):
        """The applicant submits a year's annual report (again, once returned) and staff accept
        or return it with comments."""
        report = _choose(self.reports(kind=Report.Kind.ANNUAL), index)
        if report is None:
            return
        if submit_first:
            self._submit_report(report)
        self._review_report(report, accept=accept)

    @rule(share=st.sampled_from([20, 50]))
    @precondition(lambda self: self.can("projects"))
    def post_tranche(self, share):
        self.tranche += 1
        items = [
            (
                p,
                p.award.national_subsidy * share // 100,
                timezone.localdate(),
                f"T{self.tranche}",
                self.tranche,
            )
            for p in self.projects()
        ]
        if items:
            self.attempt(f"tranche {self.tranche}", lambda: ledger.post_payments(items, by=self.staff))

    @rule(index=pick, amount=st.sampled_from([1 * M, 20 * M, 50 * M, 150 * M, 999_999_999]))
    @precondition(lambda self: self.can("projects"))
    def recover(self, index, amount):
        project = _choose(self.projects(), index)
        if project is not None:
            self.attempt(
                f"recover {amount:,} from {project.code}",
                lambda: ledger.post_recovery(
                    project, by=self.staff, amount=amount, received_on=timezone.localdate()
                ),
            )

    @rule(index=pick)
    @precondition(lambda self: self.can("entries"))
    def reverse(self, index):
        entry = _choose(
            DisbursementEntry.objects.filter(project__award__application__call=self.call).order_by("pk"),
            index,
        )
        if entry is not None:
            self.attempt(
                f"reverse {entry.kind} {entry.amount:,} of {entry.project.code}",
                lambda: ledger.reverse_entry(entry, by=self.staff, reason="Posted twice."),
            )

    @rule(index=pick, amount=st.sampled_from([5 * M, 40 * M, 120 * M]), days_ago=st.integers(0, 29))
    @precondition(lambda self: self.can("projects"))
    def report_expenditure(self, index, amount, days_ago):
        project = _choose(self.projects(), index)
        if project is None:
            return
        user = self.owner(project.award.application)
        self.attempt(
            f"report spending of {amount:,} on {project.code}",
            lambda: ledger.report_expenditure(
                project,
                by=user,
                spent_on=timezone.localdate() - timedelta(days=days_ago),
                category="equipment",
                amount=amount,
                evidence=pdf("invoice.pdf"),
            ),
        )

    @rule(index=pick, decision=st.sampled_from(["full", "half", "reject", "above", "negative"]))
    @precondition(lambda self: self.can("expenditures"))
    def decide_expenditure(self, index, decision):
        expenditure = _choose(
            Expenditure.objects.filter(project__award__application__call=self.call).order_by("pk"), index
        )
        if expenditure is None:
            return
        approved = {
            "full": expenditure.amount,
            "half": expenditure.amount // 2,
            "reject": None,
            "above": expenditure.amount + 1,
            "negative": -1,
        }[decision]
        self.attempt(
            f"{decision} expenditure {expenditure.amount:,} of {expenditure.project.code}",
            lambda: ledger.decide_expenditure(
                expenditure, by=self.staff, approved_amount=approved, reason="Checked against the invoice."
            ),
        )

    def reports(self, *statuses, kind=None):
        queryset = Report.objects.filter(project__award__application__call=self.call).select_related(
            "project__award__application"
        )
        if statuses:
            queryset = queryset.filter(status__in=statuses)
        if kind:
            queryset = queryset.filter(kind=kind)
        return list(queryset.order_by("pk"))

    def _submit_report(self, report):
        user = self.owner(report.project.award.application)
        return self.attempt(
            f"{report.kind} report of {report.project.code}",
            lambda: reports.submit_report(report, by=user, upload=pdf(f"{report.kind}-report.pdf")),
        )

    @rule(index=pick)
    @precondition(lambda self: self.can("reports"))
    def submit_report(self, index):
        """The applicant submits a report (again, once returned); mostly the final report."""
        report = _choose(self.reports(kind=Report.Kind.FINAL) if index % 4 else self.reports(), index)
        if report is not None:
            self._submit_report(report)

    def _review_report(self, report, *, accept):
        return self.attempt(
            f"{'accept' if accept else 'return'} the {report.kind} report of {report.project.code}",
            lambda: reports.review_report(
                report,
                by=self.staff,
                accept=accept,
                comments="" if accept else "The spending table does not match the ledger.",
            ),
        )

    @rule(index=pick, accept=st.booleans())
    @precondition(lambda self: self.can("reports"))
    def review_report(self, index, accept):
        """Staff accept a submitted report or return it with comments (any report, when none
        waits: refused)."""
        report = _choose(self.reports(ReportStatus.SUBMITTED), index) or _choose(self.reports(), index)
        if report is not None:
            self._review_report(report, accept=accept)

    @rule(index=pick, interest=st.sampled_from([0, 1_000_000]))
    @precondition(lambda self: self.can("projects"))
    def settle(self, index, interest):
        project = _choose(self.projects(), index)
        if project is not None:
            self.attempt(
                f"settle {project.code}",
                lambda: ledger.settle(project, by=self.staff, interest_earned=interest),
            )

    @rule(index=pick)
    @precondition(lambda self: self.can("projects"))
    def close_project(self, index):
        project = _choose(
            [p for p in self.projects() if p.state == ProjectState.SETTLED] or self.projects(), index
        )
        if project is not None:
            self.attempt(f"close {project.code}", lambda: ledger.close_project(project, by=self.staff))

    # --- sanctions -------------------------------------------------------------------------------

    @rule(index=pick)
    def sanction(self, index):
        organisation = _choose(self.world.organisations, index)
        organisation.refresh_from_db()
        done = self.attempt(
            f"sanction {organisation.name}",
            lambda: ledger.record_sanction(organisation, by=self.staff, years=3, reason="Misuse of subsidy."),
        )
        if done is not None:
            self.sanctions.append(
                invariants.SanctionEvent(self.step, organisation.pk, organisation.registration_number)
            )

    # --- bonuses ---

    @rule(index=pick)
    def grant_bonus(self, index):
        """Staff grant an application a bonus as the admin does (validated, recorded with who,
        through the model, which writes its sheet); a grant is never changed or withdrawn."""
        plan = EvaluationPlan.objects.filter(call=self.call).first()
        application = _choose(self.applications(), index)
        if plan is None or application is None:
            return
        bonus_rule, _created = BonusRule.objects.get_or_create(
            plan=plan, code="certified", defaults={"label": "Certified", "points": Decimal("1.5")}
        )
        if BonusAward.objects.filter(application=application, rule=bonus_rule).exists():
            return

        def grant():
            award = BonusAward(
                application=application, rule=bonus_rule, evidence="certificate", granted_by=self.staff
            )
            award.full_clean()
            award.save()
            return award

        if self.attempt("grant a bonus", grant):
            STATS.bonuses += 1

    # --- the invariants, after every step ----------------------------------------------------------

    @invariant()
    def invariants_hold(self):
        """The invariants are a function of the stored rows (and of the sanctions and
        submissions recorded, which change only with them): a step that changed no row (refused,
        or with nothing to act on) cannot break one, so the rows are checked again only when
        they changed. The workbook is read back at the first state and every few after."""
        STATS.steps += 1
        self.rules_run += 1
        self._census = {}
        state = snapshot()
        if state == self.checked_state:
            return
        self.checked_state = state
        self.states_checked += 1
        STATS.states += 1
        call = Call.objects.get(pk=self.call.pk)
        found = invariants.check_all(call, sanctions=self.sanctions, submissions=self.submissions)
        found += self.numbers.check(Organisation.objects.values_list("pk", "registration_number"))
        if self.states_checked % WORKBOOK_EVERY == 1:
            STATS.workbooks += 1
            found += invariants.workbook(call, [v for v in found if v.code not in SKIP])
        found = [violation for violation in found if violation.code not in SKIP]
        assert not found, f"after step {self.step}:\n" + "\n".join(str(v) for v in found)


__all__ = ["LifecycleMachine", "region"]
