"""The small world the lifecycle machine plays in, built afresh for every example.

One call whose reception closed 20 days ago (applications are submitted with an explicit
``now`` inside the window): three service fields of 1, 1 and 2 places, two tracks of 2 places
(the SME-led one capped at 200 M KRW a task), at most 3 awards and a 600 M KRW budget that binds;
nine drafts from eight organisations (one of them large, which the SME-led track refuses), two
consortium members proposed but not yet accepted (a company, and a local government the ministry
has not verified yet: it must be verified before it can accept), and a panel of six reviewers
with 3 reviews an application, of whom one declared a conflict with an applicant and one is a
member of an applying organisation.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from competitions.eligibility import validate_params
from competitions.models import CallState, EligibilityRule, Region
from evaluation.generate import ensure_plan
from evaluation.models import DeclaredConflict, Panel, Reviewer
from projects.models import Application, ConsortiumMember, FiscalYear, Membership, Organisation
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    OrganisationFactory,
    ServiceFieldFactory,
    StaffFactory,
    TrackFactory,
    UserFactory,
    registration_number,
)

M = 1_000_000
PLAN_MINIMUM_REVIEWS = 3  # DESIGN.md §3: "5 per application by default (minimum 3)"
REVIEWS_PER_APPLICATION = 3

# (organisation, track, field, requested subsidy): the large organisation 7 leads twice, once
# in the SME-led track, whose "lead is an SME" rule refuses it.
DRAFTS = [
    (0, "sme", 0, 150 * M),
    (1, "sme", 0, 200 * M),
    (2, "sme", 1, 120 * M),
    (3, "open", 1, 250 * M),
    (4, "open", 2, 300 * M),
    (5, "sme", 2, 180 * M),
    (6, "open", 2, 200 * M),
    (7, "open", 0, 280 * M),
    (7, "sme", 1, 100 * M),
]
LARGE = 7


@dataclass
class World:
    staff: object
    call: object
    tracks: dict
    fields: list
    organisations: list  # applying organisations, index = DRAFTS' first column
    owners: dict  # organisation id -> its owner (a User)
    partners: list  # the proposed consortium members: a company, an unverified local government
    applications: list
    reviewers: list
    number_seed: int = 0
    extra: dict = field(default_factory=dict)


def fiscal_years(organisation, *, sales, assets):
    this_year = timezone.localdate().year
    for offset in (1, 2, 3):
        FiscalYear.objects.create(
            organisation=organisation, year=this_year - offset, sales=sales, total_assets=assets
        )


def funding_plan(requested, large):
    """A plan that keeps the matching rules: government share 50 % (large) or about 71 % (SME)."""
    if large:
        return {"private_cash": requested * 8 // 10, "private_in_kind": requested * 2 // 10}
    return {"private_cash": requested * 3 // 10, "private_in_kind": requested // 10}


def build_world(sequence):
    """Everything one example starts from; ``sequence`` keeps slugs and numbers apart."""
    now = timezone.now()
    staff = StaffFactory(email=f"staff{sequence}@ministry.example")
    call = CallFactory(
        slug=f"stateful-{sequence}",
        reference_prefix="ST",
        state=CallState.PUBLISHED,
        opens_at=now - timedelta(days=40),
        closes_at=now - timedelta(days=20),
        max_awards=3,
        budget_total=600 * M,
        subsidy_min=50 * M,
        subsidy_max=300 * M,
    )
    tracks = {
        "sme": TrackFactory(call=call, name="SME-led", max_awards=2, subsidy_cap=200 * M),
        "open": TrackFactory(call=call, name="Open", max_awards=2),
    }
    fields = [
        ServiceFieldFactory(call=call, name="Mobility", max_awards=1),
        ServiceFieldFactory(call=call, name="Safety", max_awards=1),
        ServiceFieldFactory(call=call, name="Energy", max_awards=2),
    ]
    for position, (track, kind, params) in enumerate(
        [
            (None, "subsidy_range", {}),
            (None, "matching_funds", {}),
            (None, "no_active_sanction", {}),
            (tracks["sme"], "lead_is_sme", {}),
        ]
    ):
        EligibilityRule.objects.create(
            call=call, track=track, kind=kind, params=validate_params(kind, params), position=position
        )
    plan = ensure_plan(call)
    plan.reviews_per_application = REVIEWS_PER_APPLICATION
    plan.reserve_per_field = 1
    plan.save()

    base = 300_000_000 + sequence * 100
    organisations, owners = [], {}
    for n in range(8):
        owner = UserFactory(email=f"owner{n}-{sequence}@company.example")
        large = n == LARGE
        organisation = OrganisationFactory(
            name=f"Company {n}",
            registration_number=registration_number(base + n),
            size_class="large" if large else "sme",
            in_disclosed_large_group=large,
            in_mutual_investment_restricted_group=large,
            owners=[owner],
        )
        fiscal_years(
            organisation, sales=(900_000 if large else 20_000) * M, assets=(900_000 if large else 30_000) * M
        )
        organisations.append(organisation)
        owners[organisation.pk] = owner

    applications = []
    for n, (org, track, field_index, requested) in enumerate(DRAFTS):
        lead = organisations[org]
        applications.append(
            ApplicationFactory(
                call=call,
                track=tracks[track],
                service_field=fields[field_index],
                lead=lead,
                created_by=owners[lead.pk],
                title=f"Pilot {n}",
                requested_subsidy=requested,
                local_government=0,
                **funding_plan(requested, org == LARGE),
            )
        )
    # Two consortium members that apply nowhere else, proposed by the lead: each joins only when
    # one of its own people accepts (projects.identity), and the local government only once the
    # ministry has verified it. Until then the application cannot be submitted.
    partners = []
    for n, (name, kind, application) in enumerate(
        [
            ("Member Co", "company", applications[1]),
            ("Busan Metropolitan City", "local_government", applications[5]),
        ]
    ):
        partner_owner = UserFactory(email=f"partner{n}-{sequence}@partner.example")
        partner = OrganisationFactory(
            name=name,
            kind=kind,
            registration_number=registration_number(base + 20 + n),
            verified_at=None if kind == "local_government" else timezone.now(),
            owners=[partner_owner],
        )
        ConsortiumMember.objects.create(
            application=application,
            organisation=partner,
            budget_share_percent=20,
            proposed_by=owners[application.lead_id],
        )
        owners[partner.pk] = partner_owner
        partners.append(partner)

    panel = Panel.objects.create(call=call, name="Panel")
    reviewers = []
    for n in range(6):
        user = UserFactory(email=f"reviewer{n}-{sequence}@review.example")
        institute = OrganisationFactory(
            name=f"Institute {n}", kind="university", registration_number=registration_number(base + 40 + n)
        )
        reviewers.append(
            Reviewer.objects.create(user=user, affiliation=institute, code=f"S{sequence % 1000:03d}R{n}")
        )
    panel.reviewers.add(*reviewers)
    # Reviewer 4 declared a conflict with organisation 2 before the review began; reviewer 5 is
    # a member of organisation 4, which applies (DESIGN.md §3: own organisations by membership).
    DeclaredConflict.objects.create(
        reviewer=reviewers[4], organisation=organisations[2], reason="Former employer"
    )
    Membership.objects.create(
        user=reviewers[5].user, organisation=organisations[4], role=Membership.Role.MEMBER
    )

    return World(
        staff=staff,
        call=call,
        tracks=tracks,
        fields=fields,
        organisations=organisations,
        owners=owners,
        partners=partners,
        applications=applications,
        reviewers=reviewers,
        number_seed=base + 100,
    )


def owner_of(world, application):
    """A user who may act for the application (an owner of its lead), or None."""
    membership = (
        Membership.objects.filter(organisation_id=application.lead_id, role=Membership.Role.OWNER)
        .select_related("user")
        .first()
    )
    return membership.user if membership else None


def region():
    return Region.objects.get(slug="busan")


__all__ = ["Application", "Organisation", "build_world", "owner_of", "region"]
