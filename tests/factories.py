from datetime import timedelta

import factory
from django.utils import timezone

from accounts.consent import current_consent, record_consent
from accounts.models import User
from accounts.roles import Role, group_for
from competitions.models import Call, CallState, Programme, ServiceField, Track


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@gongmo.example")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            self.groups.add(group_for(role))

    @factory.post_generation
    def consented(self, create, extracted, **kwargs):
        """Accepted the personal-data consent in force, as at sign-up (``consented=False``: not)."""
        if create and extracted is not False:
            consent = current_consent()
            if consent is not None:
                record_consent(self, consent)


class StaffFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or [Role.STAFF]:
            self.groups.add(group_for(role))


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"programme-{n}")
    name = factory.Sequence(lambda n: f"Programme {n}")
    name_ko = factory.Sequence(lambda n: f"사업 {n}")


class CallFactory(factory.django.DjangoModelFactory):
    """A valid call; ``state`` may be given because the protected field accepts its first value."""

    class Meta:
        model = Call

    programme = factory.SubFactory(ProgrammeFactory)
    slug = factory.Sequence(lambda n: f"call-{n}")
    title = factory.Sequence(lambda n: f"Call {n}")
    title_ko = factory.Sequence(lambda n: f"공모 {n}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
    budget_total = 3_790_000_000
    max_awards = 14
    subsidy_min = 50_000_000
    subsidy_max = 300_000_000
    state = CallState.DRAFT


class TrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Track

    call = factory.SubFactory(CallFactory)
    name = factory.Sequence(lambda n: f"Track {n}")
    max_awards = 5


class ServiceFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceField

    call = factory.SubFactory(CallFactory)
    name = factory.Sequence(lambda n: f"Field {n}")
    max_awards = 4


# --- projects -------------------------------------------------------------------------------
from competitions.models import EligibilityRule, Region  # noqa: E402
from projects.models import Application, ApplicationState, Membership, Organisation  # noqa: E402
from projects.registration_number import check_digit  # noqa: E402


def registration_number(n):
    first_nine = f"{n:09d}"
    return f"{first_nine}{check_digit(first_nine)}"


class OrganisationFactory(factory.django.DjangoModelFactory):
    """An SME company (size class set directly; projects.size_class is tested on its own)."""

    class Meta:
        model = Organisation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Company {n}")
    registration_number = factory.Sequence(lambda n: registration_number(100_000_000 + n))
    kind = "company"
    region = factory.LazyFunction(lambda: Region.objects.get(slug="busan"))
    industry = "ict"
    size_class = "sme"
    size_class_reason = "average sales 62.1 bn KRW ≤ 80 bn band for Information and communication"
    # Verified by staff (it matters for local governments and public institutions); pass
    # verified_at=None for one that is not.
    verified_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def owners(self, create, extracted, **kwargs):
        for user in extracted or []:
            Membership.objects.create(user=user, organisation=self, role=Membership.Role.OWNER)


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A complete draft: 300 M requested of a 500 M project (government 60%, cash 70% of private)."""

    class Meta:
        model = Application

    call = factory.SubFactory(CallFactory, state=CallState.PUBLISHED)
    track = factory.LazyAttribute(lambda a: a.call.tracks.first() or TrackFactory(call=a.call, max_awards=14))
    lead = factory.SubFactory(OrganisationFactory)
    created_by = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Smart parking pilot {n}")
    requested_subsidy = 300_000_000
    local_government = 0
    private_cash = 140_000_000
    private_in_kind = 60_000_000


def pilot_rules(call):
    """The 2022 pilot call's eligibility rules (competitions.demo) configured on ``call``."""
    from competitions.demo import PILOT_RULES
    from competitions.eligibility import validate_params

    for position, (_track, kind, params) in enumerate(PILOT_RULES):
        EligibilityRule.objects.create(
            call=call, kind=kind, params=validate_params(kind, params), position=position
        )


def reception_closed(call):
    """End the call's reception window a second ago (its state unchanged): the first step after
    reception (an eligibility decision, an assignment) then moves it into evaluation."""
    closes = timezone.now() - timedelta(seconds=1)
    Call.objects.filter(pk=call.pk).update(
        closes_at=closes, opens_at=min(call.opens_at, closes - timedelta(days=1))
    )
    return Call.objects.get(pk=call.pk)


def call_in_state(call, state):
    """Move the call to ``state`` in the database, as the steps before it would have (reception
    closed for evaluation onwards): for tests that start from a later step of the process, which
    requires the call's state that allows it (competitions.lifecycle.require_call_state)."""
    changes = {"state": state}
    if state not in (CallState.DRAFT, CallState.PUBLISHED) and call.closes_at >= timezone.now():
        changes["closes_at"] = timezone.now() - timedelta(seconds=1)
        changes["opens_at"] = min(call.opens_at, changes["closes_at"] - timedelta(days=1))
    Call.objects.filter(pk=call.pk).update(**changes)
    return Call.objects.get(pk=call.pk)  # the protected state is not refreshed in place


def selected_in_a_confirmed_run(application, *, by, reference="PC26-0001"):
    """The application selected, as a confirmed selection run publishes it (the run recorded with
    its one result, the application selected and accepted): for money tests that start after
    selection without walking the evaluation."""
    from evaluation.models import SelectionResult, SelectionRun

    Application.objects.filter(pk=application.pk).update(
        state=ApplicationState.SELECTED, reference=reference, accepted_at=timezone.now()
    )
    run = SelectionRun.objects.create(
        call=application.call,
        number=SelectionRun.objects.filter(call=application.call).count() + 1,
        parameters={},
        inputs_hash="0" * 64,
        created_by=by,
        confirmed_by=by,
        confirmed_at=timezone.now(),
    )
    SelectionResult.objects.create(
        run=run,
        application_id=application.pk,
        evaluation_score=80,
        bonus=0,
        final_score=80,
        rank=1,
        outcome="selected",
        reason="selected",
        requested_subsidy=application.requested_subsidy,
        service_field_id=application.service_field_id,
    )
    return Application.objects.get(pk=application.pk)


def signed_project(application, *, by, parties="MOLIT", **agreement):
    """The award of an accepted application, with its agreement signed for May to November
    2026: the project most money tests start from (its call's results published)."""
    from datetime import date

    from projects import ledger

    if application.call.state != CallState.RESULTS_PUBLISHED:
        call_in_state(application.call, CallState.RESULTS_PUBLISHED)

    award = ledger.create_award(Application.objects.get(pk=application.pk), by=by)
    return ledger.sign_agreement(
        award,
        by=by,
        signed_on=date(2026, 5, 1),
        parties=parties,
        starts_on=date(2026, 5, 1),
        ends_on=date(2026, 11, 30),
        **agreement,
    )


def cleared_to_score(assignment):
    """The reviewer of ``assignment`` has signed the call's integrity and confidentiality pledge
    and declared no conflict with the application, as save_review requires (evaluation.pledges).
    Returns the assignment, so a call reads ``save_review(cleared_to_score(assignment), ...)``."""
    from evaluation.models import Assignment, NoConflictDeclaration, Pledge
    from evaluation.pledges import current_text

    assignment = Assignment.objects.select_related("application", "reviewer__user").get(pk=assignment.pk)
    now = timezone.now()
    Pledge.objects.get_or_create(
        reviewer=assignment.reviewer,
        call_id=assignment.application.call_id,
        defaults={"text": current_text(), "signed_name": str(assignment.reviewer.user), "signed_at": now},
    )
    NoConflictDeclaration.objects.get_or_create(
        assignment=assignment, defaults={"declared_by": assignment.reviewer.user, "declared_at": now}
    )
    return assignment
