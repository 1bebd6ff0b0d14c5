"""DESIGN.md §3's invariants, checked independently of the product.

Everything here reads the database with plain querysets and recomputes in Python: no product
function for selection, scoring, conflicts or ledger sums is called, so a wrong definition in
the product cannot hide behind itself. Each finding is a ``Violation`` with a code (the
invariant) and a message naming the application or project and the numbers.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F
from django_fsm_log.models import StateLog

from evaluation.models import (
    Assignment,
    DeclaredConflict,
    EvaluationPlan,
    Review,
    Reviewer,
    Score,
    ScoreSheet,
    SelectionResult,
)
from projects.models import (
    Application,
    ConsortiumMember,
    DisbursementEntry,
    Expenditure,
    Membership,
    MembershipInvitation,
    Organisation,
    OutboxMessage,
    Project,
    ProjectYear,
    Report,
    Settlement,
)

from .world import PLAN_MINIMUM_REVIEWS

# DESIGN.md §3: an application holds one of its call's places when it is selected or awarded.
HOLDS_A_PLACE = ("selected", "awarded")
SCORED = ("scored", "selected", "reserve", "not_selected", "declined", "awarded")
# States only a confirmed selection run gives (the published outcomes).
PUBLISHED = ("selected", "reserve", "not_selected", "declined", "awarded")
PUBLIC_BODIES = ("local_government", "public_institution")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Violation:
    code: str
    message: str

    def __str__(self):
        return f"[{self.code}] {self.message}"


@dataclass(frozen=True)
class SanctionEvent:
    step: int
    organisation_id: int
    number: str


@dataclass(frozen=True)
class SubmissionEvent:
    step: int
    application_id: int
    reference: str
    organisation_ids: frozenset
    numbers: frozenset


def check_all(call, *, sanctions=(), submissions=()):
    """Every violation of the invariants in ``call`` (an empty list when all hold)."""
    applications = {a.pk: a for a in Application.objects.filter(call=call).select_related("track")}
    found = []
    found += places(call, applications)
    found += reviews(call, applications)
    found += review_progress(call)
    found += conflicts(call, applications)
    found += money(call)
    found += agreement_years(call)
    found += sanctioned_numbers(sanctions, submissions)
    found += consent(call)
    found += process_gates(call)
    found += outcomes_published(call, applications)
    found += privacy(call, applications)
    found += corrections(call, applications)
    return found


# --- Correction requests ------------------------------------------------------------------------


def corrections(call, applications):
    """An application waits for a correction exactly when it has one open request (DESIGN.md
    §3 "Correction requests"); only the named parts changed, each after the request and not
    after its deadline; a corrected document's original is kept (superseded, not deleted); a
    funding plan revision starts from the plan as it stood."""
    from projects.models import CorrectionItem, CorrectionRequest, Document, FundingPlanRevision

    found = []
    open_by_application = defaultdict(int)
    for application_id in CorrectionRequest.objects.filter(application__call=call, status="open").values_list(
        "application_id", flat=True
    ):
        open_by_application[application_id] += 1
    for application in applications.values():
        waiting = application.state == "correction_requested"
        count = open_by_application.get(application.pk, 0)
        if (waiting and count != 1) or (not waiting and count):
            found.append(
                Violation(
                    "corrections.open",
                    f"{application.reference} is {application.state} with {count} open correction request(s)",
                )
            )
    for item in CorrectionItem.objects.filter(
        request__application__call=call, corrected_at__isnull=False
    ).select_related("request"):
        request = item.request
        if not (request.requested_at <= item.corrected_at <= request.deadline):
            found.append(
                Violation(
                    "corrections.window",
                    f"item #{item.pk} of request #{request.pk} was corrected at {item.corrected_at}, outside {request.requested_at}..{request.deadline}",
                )
            )
    for request in CorrectionRequest.objects.filter(application__call=call).prefetch_related("items"):
        named = {item.target for item in request.items.all() if item.kind == "document"}
        late_uploads = Document.objects.filter(
            application_id=request.application_id, uploaded_at__gt=request.requested_at
        ).exclude(kind__in=named)
        if request.status == "open" and late_uploads.exists():
            found.append(
                Violation(
                    "corrections.scope",
                    f"application #{request.application_id} got documents of kinds not named while waiting: "
                    + ", ".join(sorted(set(late_uploads.values_list("kind", flat=True)))),
                )
            )
        for kind in named:
            versions = Document.objects.filter(application_id=request.application_id, kind=kind)
            if versions.filter(superseded=False).count() > 1:
                found.append(
                    Violation(
                        "corrections.versions",
                        f"application #{request.application_id} has two current {kind}",
                    )
                )
    for revision in FundingPlanRevision.objects.filter(application__call=call).order_by("changed_at", "pk"):
        if revision.item.kind != "funding_plan":
            found.append(
                Violation(
                    "corrections.scope",
                    f"revision #{revision.pk} changed the plan under a {revision.item.kind} item",
                )
            )
    return found


# --- Places -------------------------------------------------------------------------------------


def places(call, applications):
    """Published outcomes never exceed any field, track or call maximum or the budget, and never
    hold a place the call's own subsidy rules refuse."""
    found = []
    holders = [a for a in applications.values() if a.state in HOLDS_A_PLACE]
    by_field, by_track = defaultdict(list), defaultdict(list)
    for application in holders:
        by_field[application.service_field_id].append(application.reference)
        by_track[application.track_id].append(application.reference)
    for service_field in call.service_fields.all():
        held = by_field.get(service_field.pk, [])
        if len(held) > service_field.max_awards:
            found.append(
                Violation(
                    "places.field",
                    f"field {service_field.name}: {len(held)} applications hold a place ({', '.join(sorted(held))}), maximum {service_field.max_awards}",
                )
            )
    for track in call.tracks.all():
        held = by_track.get(track.pk, [])
        if len(held) > track.max_awards:
            found.append(
                Violation(
                    "places.track",
                    f"track {track.name}: {len(held)} applications hold a place ({', '.join(sorted(held))}), maximum {track.max_awards}",
                )
            )
    if len(holders) > call.max_awards:
        found.append(
            Violation(
                "places.call",
                f"call {call.slug}: {len(holders)} applications hold a place, maximum {call.max_awards}",
            )
        )
    # DESIGN.md §3 "Selection": the remaining budget covers each selected application's
    # requested subsidy, so the places held never ask for more than the budget in all.
    committed = sum(a.requested_subsidy for a in holders)
    if committed > call.budget_total:
        found.append(
            Violation(
                "places.budget",
                f"call {call.slug}: the applications holding a place requested {committed:,} KRW, budget {call.budget_total:,}",
            )
        )
    for application in holders:
        cap = application.track.subsidy_cap or call.subsidy_max
        if not call.subsidy_min <= application.requested_subsidy <= cap:
            found.append(
                Violation(
                    "places.rules",
                    f"{application.reference} holds a place with a request of {application.requested_subsidy:,} KRW outside {call.subsidy_min:,}–{cap:,}",
                )
            )
    return found


# --- Reviews ------------------------------------------------------------------------------------


def _trimmed_mean(totals, trim_at):
    """DESIGN.md §3: with ``trim_at`` or more reviews drop one highest and one lowest, then the
    mean, rounded half-up to 2 decimals."""
    values = sorted(totals)
    if len(values) >= trim_at:
        values = values[1:-1]
    return (sum(values, Decimal(0)) / len(values)).quantize(CENT, rounding=ROUND_HALF_UP)


def _submitted_reviews(call):
    """[(review, assignment state, total recomputed from its scores)] of the call."""
    weighted = defaultdict(Decimal)
    for review_id, points, weight in Score.objects.filter(review__application__call=call).values_list(
        "review_id", "points", "criterion__weight"
    ):
        weighted[review_id] += points * weight
    return [
        (review, review.assignment.state, weighted[review.pk])
        for review in Review.objects.filter(application__call=call, state=Review.State.SUBMITTED)
        .select_related("assignment")
        .order_by("pk")
    ]


def reviews(call, applications):
    """Only current-round reviews count, and a scored application has at least the plan's
    minimum of them; its score sheet is the trimmed mean of exactly those."""
    found = []
    plan = EvaluationPlan.objects.get(call=call)
    minimum = getattr(plan, "minimum_reviews", None) or PLAN_MINIMUM_REVIEWS
    current = defaultdict(list)
    for review, assignment_state, total in _submitted_reviews(call):
        if assignment_state == Assignment.State.ACTIVE:
            current[review.application_id].append(total)
    sheets = {sheet.application_id: sheet for sheet in ScoreSheet.objects.filter(application__call=call)}
    for application in applications.values():
        if application.state not in SCORED:
            continue
        totals = current.get(application.pk, [])
        if len(totals) < minimum:
            found.append(
                Violation(
                    "reviews.minimum",
                    f"{application.reference} is {application.state} with {len(totals)} current-round reviews submitted, minimum {minimum}",
                )
            )
            continue
        sheet = sheets.get(application.pk)
        if sheet is None or not sheet.plan_fingerprint:
            continue  # computed again before it is next read
        expected = _trimmed_mean(totals, plan.trim_at) if plan.aggregation == "trimmed_mean" else None
        if sheet.reviews != len(totals) or (expected is not None and sheet.evaluation_score != expected):
            found.append(
                Violation(
                    "reviews.current_round",
                    f"{application.reference}: score sheet counts {sheet.reviews} reviews for {sheet.evaluation_score}; the current round has {len(totals)} for {expected}",
                )
            )
    return found


def review_progress(call):
    """Each reviewer's kept progress in the call (evaluation.review_progress, what the dashboards
    read) equals a fresh count of their assignments and reviews: the counters never drift."""
    from evaluation.models import ReviewerProgress
    from evaluation.review_progress import counted_progress

    counted = {
        reviewer_id: (c["assigned"], c["submitted"], c["drafts"])
        for reviewer_id, c in counted_progress(call.pk).items()
    }
    kept = {
        reviewer_id: counts
        for reviewer_id, *counts in ReviewerProgress.objects.filter(call=call).values_list(
            "reviewer_id", "assigned", "submitted", "drafts"
        )
    }
    kept = {reviewer_id: tuple(counts) for reviewer_id, counts in kept.items()}
    return [
        Violation(
            "reviews.progress_kept",
            f"reviewer #{reviewer_id}: kept (assigned, submitted, drafts) {kept.get(reviewer_id)}, counted {counted.get(reviewer_id)}",
        )
        for reviewer_id in sorted(set(counted) | set(kept))
        if kept.get(reviewer_id) != counted.get(reviewer_id, (0, 0, 0))
    ]


def _organisations_of(call):
    """{application id: its organisations (lead and consortium)} for applications ever submitted."""
    result = defaultdict(set)
    for application in Application.objects.filter(call=call).exclude(reference=""):
        result[application.pk].add(application.lead_id)
    # A proposed member is one only once it accepted (its own people's consent).
    for application_id, organisation_id in ConsortiumMember.objects.filter(
        application__call=call, application_id__in=list(result), state="accepted"
    ).values_list("application_id", "organisation_id"):
        result[application_id].add(organisation_id)
    return result


def conflicts(call, applications):
    """No reviewer scored an application they are conflicted with: own organisations (by
    membership or affiliation) leading or in it or applying to the same call, or a conflict
    declared before the review was submitted."""
    found = []
    organisations_of = _organisations_of(call)
    in_call = set().union(*organisations_of.values()) if organisations_of else set()
    reviewers = {r.pk: r for r in Reviewer.objects.filter(assignments__application__call=call).distinct()}
    # {reviewer: {own organisation: since when (None: from the start)}}: affiliation, and
    # membership, which begins when the person accepted an invitation (or before the world's
    # first step, for the memberships it starts with).
    own = defaultdict(dict)
    for reviewer in reviewers.values():
        if reviewer.affiliation_id:
            own[reviewer.pk][reviewer.affiliation_id] = None
    user_to_reviewer = {r.user_id: r.pk for r in reviewers.values()}
    joined = {}
    for user_id, organisation_id, responded_at in MembershipInvitation.objects.filter(
        responded_by_id__in=list(user_to_reviewer), state="accepted"
    ).values_list("responded_by_id", "organisation_id", "responded_at"):
        earliest = joined.get((user_id, organisation_id))
        joined[(user_id, organisation_id)] = min(responded_at, earliest) if earliest else responded_at
    for user_id, organisation_id in Membership.objects.filter(user_id__in=list(user_to_reviewer)).values_list(
        "user_id", "organisation_id"
    ):
        own[user_to_reviewer[user_id]][organisation_id] = joined.get((user_id, organisation_id))
    declared = defaultdict(list)
    for conflict in DeclaredConflict.objects.filter(reviewer_id__in=list(reviewers)):
        declared[conflict.reviewer_id].append(conflict)
    for review, _assignment_state, _total in _submitted_reviews(call):
        reviewer_id = review.assignment.reviewer_id
        application = applications[review.application_id]
        theirs = organisations_of.get(application.pk, {application.lead_id})
        reasons = []
        # The organisations the reviewer belonged to when the review was submitted.
        mine = {
            organisation_id
            for organisation_id, since in own[reviewer_id].items()
            if since is None or review.submitted_at is None or since <= review.submitted_at
        }
        if mine & theirs:
            reasons.append("the reviewer's own organisation is in the application")
        elif mine & in_call:
            reasons.append("the reviewer's own organisation applies to the same call")
        if any(
            c.organisation_id in theirs and c.declared_at <= (review.submitted_at or c.declared_at)
            for c in declared[reviewer_id]
        ):
            reasons.append("the reviewer declared a conflict with it")
        if reasons:
            found.append(
                Violation(
                    "conflicts",
                    f"reviewer {reviewers[reviewer_id].code} scored {application.reference} ({review.total} points): {'; '.join(reasons)}",
                )
            )
    return found


# --- Money --------------------------------------------------------------------------------------


def money(call):
    """Payments net of their reversals never exceed the award; recoveries net of their
    reversals never exceed what was paid beyond approved spending (plus interest); a closed
    project takes no entry; settlement needs the final report (accepted, where the model says)."""
    found = []
    projects = list(Project.objects.filter(award__application__call=call).select_related("award"))
    if not projects:
        return found
    ids = [p.pk for p in projects]
    entries = defaultdict(list)
    for entry in DisbursementEntry.objects.filter(project_id__in=ids).order_by("pk"):
        entries[entry.project_id].append(entry)
    approved = defaultdict(int)
    reported_at = defaultdict(list)
    for expenditure in Expenditure.objects.filter(project_id__in=ids):
        reported_at[expenditure.project_id].append(expenditure.reported_at)
        if expenditure.state == Expenditure.State.APPROVED:
            approved[expenditure.project_id] += expenditure.approved_amount or 0
    settlements = defaultdict(list)
    for settlement in Settlement.objects.filter(project_id__in=ids).order_by("pk"):
        settlements[settlement.project_id].append(settlement)
    closed_at = dict(
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Project), object_id__in=ids, transition="close"
        ).values_list("object_id", "timestamp")
    )
    # When each final report was accepted: its logged "accept" transition (a report is accepted
    # once; it is never returned after).
    finals = {
        pk: project_id
        for pk, project_id in Report.objects.filter(project_id__in=ids, kind=Report.Kind.FINAL).values_list(
            "pk", "project_id"
        )
    }
    accepted_at = defaultdict(list)
    for object_id, timestamp in StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Report),
        object_id__in=list(finals),
        transition="accept",
    ).values_list("object_id", "timestamp"):
        accepted_at[finals[int(object_id)]].append(timestamp)

    for project in projects:
        kind_of = {e.pk: e.kind for e in entries[project.pk]}
        paid = recovered = 0
        for entry in entries[project.pk]:
            original = (
                kind_of.get(entry.reverses_id)
                if entry.kind == DisbursementEntry.Kind.REVERSAL
                else entry.kind
            )
            if original == DisbursementEntry.Kind.PAYMENT:
                paid += entry.amount
            elif original == DisbursementEntry.Kind.RECOVERY:
                recovered += entry.amount
        award = project.award.national_subsidy
        if paid > award:
            found.append(
                Violation(
                    "money.paid",
                    f"project {project.code}: paid net of reversals {paid:,} KRW above the award of {award:,}",
                )
            )
        interest = settlements[project.pk][-1].interest_earned if settlements[project.pk] else 0
        limit = max(0, paid - approved[project.pk]) + interest
        if not 0 <= recovered <= limit:
            found.append(
                Violation(
                    "money.recovered",
                    f"project {project.code}: recovered net of reversals {recovered:,} KRW; paid {paid:,}, approved spending {approved[project.pk]:,}, interest {interest:,}: at most {limit:,}",
                )
            )
        closed = closed_at.get(str(project.pk)) or closed_at.get(project.pk)
        if closed is not None:
            late = [e for e in entries[project.pk] if e.posted_at > closed]
            late_spending = [t for t in reported_at[project.pk] if t > closed]
            if late or late_spending:
                found.append(
                    Violation(
                        "money.closed",
                        f"project {project.code} took {len(late)} ledger entries ({', '.join(f'{e.kind} {e.amount:,}' for e in late)}) and {len(late_spending)} expenditures after it closed",
                    )
                )
        if settlements[project.pk]:
            # DESIGN.md §3: settlement = disbursed − approved spending (+ interest earned) =
            # amount to recover; the ledger must go on saying what was settled.
            latest = settlements[project.pk][-1]
            due = max(0, latest.disbursed - latest.approved_spending) + latest.interest_earned
            if (latest.disbursed, latest.approved_spending, latest.to_recover) != (
                paid,
                approved[project.pk],
                due,
            ):
                found.append(
                    Violation(
                        "money.settled_figures",
                        f"project {project.code} was settled on {latest.disbursed:,} KRW disbursed and {latest.approved_spending:,} approved ({latest.to_recover:,} to recover); the ledger now says {paid:,} paid and {approved[project.pk]:,} approved",
                    )
                )
        for settlement in settlements[project.pk]:
            if not any(at <= settlement.settled_at for at in accepted_at[project.pk]):
                found.append(
                    Violation(
                        "money.settlement",
                        f"project {project.code} was settled ({settlement.to_recover:,} KRW to recover) before its final report was accepted",
                    )
                )
    return found


def agreement_years(call):
    """Issue 16, by the checker's own arithmetic over the stored rows: payments into a year net
    of their reversals stay within 0 and the year's subsidy; the years' subsidies never exceed
    the award and, once the years reach the end of the demonstration, add up to it; a payment
    into year N > 1 was posted only after year N − 1's annual report was accepted (its logged
    "accept"; an accepted report is never returned)."""
    found = []
    years = list(
        ProjectYear.objects.filter(project__award__application__call=call).order_by("project_id", "number")
    )
    if not years:
        return found
    by_project = defaultdict(list)
    for year in years:
        by_project[year.project_id].append(year)
    projects = {p.pk: p for p in Project.objects.filter(pk__in=list(by_project)).select_related("award")}
    entries = list(DisbursementEntry.objects.filter(project_id__in=list(by_project)).order_by("pk"))
    kind_of = {e.pk: e.kind for e in entries}
    paid = defaultdict(int)  # year id -> net payments
    for entry in entries:
        original = (
            kind_of.get(entry.reverses_id) if entry.kind == DisbursementEntry.Kind.REVERSAL else entry.kind
        )
        if original == DisbursementEntry.Kind.PAYMENT and entry.year_id is not None:
            paid[entry.year_id] += entry.amount
    annual = {
        pk: year_id
        for pk, year_id in Report.objects.filter(year__in=years, kind=Report.Kind.ANNUAL).values_list(
            "pk", "year_id"
        )
    }
    accepted_at = defaultdict(list)  # year id -> when its annual report was accepted
    for object_id, timestamp in StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Report),
        object_id__in=list(annual),
        transition="accept",
    ).values_list("object_id", "timestamp"):
        accepted_at[annual[int(object_id)]].append(timestamp)
    for project_id, project_years in by_project.items():
        project = projects[project_id]
        award = project.award.national_subsidy
        for year in project_years:
            if not 0 <= paid[year.pk] <= year.national_subsidy:
                found.append(
                    Violation(
                        "years.paid",
                        f"project {project.code} year {year.number}: paid net of reversals {paid[year.pk]:,} KRW, outside 0 to its subsidy of {year.national_subsidy:,}",
                    )
                )
        total = sum(year.national_subsidy for year in project_years)
        complete = project_years[-1].ends_on >= project.ends_on
        if total > award or (complete and total != award):
            found.append(
                Violation(
                    "years.award",
                    f"project {project.code}: the years' subsidies add up to {total:,} KRW; the award is {award:,}"
                    + (" and the years reach the end of the demonstration" if complete else ""),
                )
            )
        previous = {year.number: year for year in project_years}
        for entry in entries:
            if (
                entry.project_id != project_id
                or entry.kind != DisbursementEntry.Kind.PAYMENT
                or entry.year_id is None
            ):
                continue
            year = next(y for y in project_years if y.pk == entry.year_id)
            if year.number == 1:
                continue
            before = previous.get(year.number - 1)
            if before is None or not any(at <= entry.posted_at for at in accepted_at[before.pk]):
                found.append(
                    Violation(
                        "years.gate",
                        f"project {project.code}: {entry.amount:,} KRW paid into year {year.number} (entry #{entry.pk}) before the annual report of year {year.number - 1} was accepted",
                    )
                )
    return found


# --- Identity -----------------------------------------------------------------------------------


def sanctioned_numbers(sanctions, submissions):
    """A sanctioned organisation, or its registration number under any organisation, never
    reaches "submitted" after the sanction."""
    found = []
    for submission in submissions:
        for sanction in sanctions:
            if sanction.step >= submission.step:
                continue
            if (
                sanction.organisation_id in submission.organisation_ids
                or sanction.number in submission.numbers
            ):
                found.append(
                    Violation(
                        "identity.sanction",
                        f"{submission.reference} was submitted at step {submission.step} by registration numbers {sorted(submission.numbers)}; number {sanction.number} (organisation #{sanction.organisation_id}) was sanctioned at step {sanction.step}",
                    )
                )
    return found


class NumberWatch:
    """DESIGN.md §3: a registration number identifies one organisation for ever, and changes
    only by staff, with a reason. The watch keeps its own record of every number each
    organisation was seen with (read after each step from the organisations' rows) and of the
    changes staff made with a reason; a number seen with a second organisation, or a change
    staff did not make, is a violation."""

    def __init__(self):
        self.holder = {}  # number -> the organisation first seen with it
        self.current = {}  # organisation id -> its number at the last look
        self.allowed = set()  # (organisation id, number): changes staff made with a reason

    def observe(self, pairs):
        found = []
        for organisation_id, number in pairs:
            first = self.holder.setdefault(number, organisation_id)
            if first != organisation_id:
                found.append(
                    Violation(
                        "identity.number",
                        f"registration number {number} is held by organisation #{organisation_id}; organisation #{first} held it before",
                    )
                )
            previous = self.current.get(organisation_id)
            if previous is not None and previous != number and (organisation_id, number) not in self.allowed:
                found.append(
                    Violation(
                        "identity.number",
                        f"organisation #{organisation_id}'s registration number changed from {previous} to {number}, not by staff with a reason",
                    )
                )
            self.current[organisation_id] = number
        return found

    def allow(self, organisation_id, number):
        self.allowed.add((organisation_id, number))

    def held_by_others(self, organisation_id):
        """Numbers another organisation holds or once held, in the order first seen."""
        return [number for number, holder in self.holder.items() if holder != organisation_id]

    def check(self, pairs):
        return self.observe(list(pairs))


def consent(call):
    """Joining needs consent and public bodies need verification (DESIGN.md §3, issue 13): a
    consortium member counts only once one of its own people accepted; an application is
    submitted only with every proposed member answered; a local government or public
    institution leads or joins only once the ministry verified it (before submission)."""
    found = []
    members = list(
        ConsortiumMember.objects.filter(application__call=call).values_list(
            "pk", "application_id", "organisation_id", "state"
        )
    )
    people = defaultdict(set)
    for user_id, organisation_id in Membership.objects.filter(
        organisation_id__in={m[2] for m in members}
    ).values_list("user_id", "organisation_id"):
        people[organisation_id].add(user_id)
    accepted_by = dict(
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(ConsortiumMember),
            object_id__in=[m[0] for m in members],
            transition="accept",
        ).values_list("object_id", "by_id")
    )
    # When each application was submitted: its logged "submit" transition (the machine submits
    # with an explicit time inside the reception window, so ``submitted_at`` is in the past).
    submitted = {
        int(object_id): timestamp
        for object_id, timestamp in StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Application),
            object_id__in=[
                str(pk) for pk in Application.objects.filter(call=call).values_list("pk", flat=True)
            ],
            transition="submit",
        ).values_list("object_id", "timestamp")
    }
    organisations = defaultdict(set)
    for pk, lead_id in Application.objects.filter(pk__in=list(submitted)).values_list("pk", "lead_id"):
        organisations[pk].add(lead_id)
    for pk, application_id, organisation_id, state in members:
        if state == "accepted":
            by = accepted_by.get(str(pk), accepted_by.get(pk))
            if by not in people[organisation_id]:
                found.append(
                    Violation(
                        "identity.consent",
                        f"organisation #{organisation_id} joined application #{application_id}'s consortium, accepted by user #{by}, who is not one of its people",
                    )
                )
            if application_id in submitted:
                organisations[application_id].add(organisation_id)
        elif state == "pending" and application_id in submitted:
            found.append(
                Violation(
                    "identity.consent",
                    f"application #{application_id} was submitted while organisation #{organisation_id} had not accepted its consortium place",
                )
            )
    verified = {
        pk: (kind, at)
        for pk, kind, at in Organisation.objects.filter(
            pk__in=set().union(*organisations.values()) if organisations else set()
        ).values_list("pk", "kind", "verified_at")
    }
    for application_id, organisation_ids in organisations.items():
        for organisation_id in organisation_ids:
            kind, at = verified[organisation_id]
            if kind in PUBLIC_BODIES and (at is None or at > submitted[application_id]):
                found.append(
                    Violation(
                        "identity.verified",
                        f"application #{application_id} was submitted with {kind} organisation #{organisation_id}, not verified by the ministry then",
                    )
                )
    return found


# --- Process gates ------------------------------------------------------------------------------

GATED = (
    "confirm_eligible",
    "reject_ineligible",
    "open_review",
    "complete_review",
    "publish_selected",
    "publish_reserve",
    "publish_not_selected",
    "sign_agreement",
)


def process_gates(call):
    """DESIGN.md §4: reception must have closed (the call in evaluation) before eligibility is
    decided, reviewers are assigned or outcomes published."""
    started = (
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(type(call)),
            object_id=call.pk,
            transition="start_evaluation",
        )
        .order_by("timestamp")
        .values_list("timestamp", flat=True)
        .first()
    )
    early = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Application),
        object_id__in=list(Application.objects.filter(call=call).values_list("pk", flat=True)),
        transition__in=GATED,
    )
    if started is not None:
        early = early.filter(timestamp__lt=started)
    early = list(early.values_list("object_id", "transition"))
    if not early:
        return []
    references = dict(
        Application.objects.filter(pk__in={pk for pk, _t in early}).values_list("pk", "reference")
    )
    return [
        Violation(
            "process.gate",
            f"call {call.slug} was still open for applications ({call.state}) when: "
            + ", ".join(f"{references[pk]} {transition}" for pk, transition in early),
        )
    ]


# --- Outcomes -----------------------------------------------------------------------------------


def outcomes_published(call, applications):
    """Every considered application has exactly one current outcome, given by a confirmed run,
    and every change of an application's state is logged (DESIGN.md §3-4): a published outcome
    has its result in a confirmed selection run; the latest logged transition of every
    application leads to the state it is in; the call's results are published once any is."""
    found = []
    confirmed = set(
        SelectionResult.objects.filter(run__call=call, run__confirmed_at__isnull=False).values_list(
            "application_id", flat=True
        )
    )
    for application in applications.values():
        if application.state in PUBLISHED and application.pk not in confirmed:
            found.append(
                Violation(
                    "outcomes.run",
                    f"{application.reference} is {application.state} without a result in a confirmed run",
                )
            )
    latest = {}
    for object_id, state in (
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Application),
            object_id__in=[str(pk) for pk in applications],
        )
        .exclude(source_state=F("state"))  # an acceptance is logged without a change of state
        .order_by("timestamp", "pk")
        .values_list("object_id", "state")
    ):
        latest[int(object_id)] = state
    for application in applications.values():
        logged = latest.get(application.pk, "draft")
        if logged != application.state:
            found.append(
                Violation(
                    "outcomes.logged",
                    f"{application.reference or application.title} is {application.state}; its last logged transition led to {logged}",
                )
            )
    if any(a.state in PUBLISHED for a in applications.values()) and call.state not in (
        "results_published",
        "closed",
    ):
        found.append(
            Violation("outcomes.call", f"call {call.slug} is {call.state} while outcomes are published")
        )
    return found


# --- Privacy ------------------------------------------------------------------------------------


def privacy(call, applications):
    """Reviewers' identities are never shown to applicants (DESIGN.md §3, findings 18-19): no
    transition of an application (the history its applicant reads) is logged as a reviewer,
    and no e-mail to anyone but the reviewer names a reviewer's address."""
    found = []
    reviewers = dict(Reviewer.objects.filter(panels__call=call).values_list("user_id", "user__email"))
    logged = (
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Application),
            object_id__in=[str(pk) for pk in applications],
            by_id__in=list(reviewers),
        )
        .values_list("object_id", "transition", "by_id")
        .first()
    )
    if logged is not None:
        object_id, transition, by_id = logged
        found.append(
            Violation(
                "privacy.log",
                f"{applications[int(object_id)].reference}'s history shows {transition} by reviewer {reviewers[by_id]}",
            )
        )
    for address in reviewers.values():
        leak = (
            OutboxMessage.objects.exclude(to__iexact=address)
            .filter(models.Q(subject__icontains=address) | models.Q(body__icontains=address))
            .values_list("to", "subject")
            .first()
        )
        if leak is not None:
            found.append(
                Violation("privacy.outbox", f"an e-mail to {leak[0]} ({leak[1]!r}) names reviewer {address}")
            )
    return found


# --- The funding workbook -----------------------------------------------------------------------

# An application's state and the outcomes the workbook may show for it.
OUTCOMES_OF_STATE = {
    "selected": {"selected"},
    "awarded": {"selected", "awarded"},
    "reserve": {"reserve"},
    "not_selected": {"not_selected", "below_cutoff"},
    "declined": {"declined"},
}


def read_workbook(call):
    """(Checks rows, Applications rows as dicts) of the call's funding workbook, built by
    audit.funding_workbook into memory and read back with openpyxl."""
    from io import BytesIO

    from openpyxl import load_workbook

    from audit.funding_workbook import write_funding_workbook

    buffer = BytesIO()
    write_funding_workbook([call], buffer)
    workbook = load_workbook(BytesIO(buffer.getvalue()), read_only=True)
    checks = list(workbook["Checks"].iter_rows(min_row=2, values_only=True))
    rows = workbook["Applications"].iter_rows(values_only=True)
    header = next(rows)
    applications = [dict(zip(header, row, strict=False)) for row in rows]
    workbook.close()
    return checks, applications


def workbook(call, found):
    """The Checks sheet passes every row when the invariants hold, and the Applications sheet
    shows each published application's one current outcome."""
    checks, rows = read_workbook(call)
    result = []
    if not found:
        failing = [row for row in checks if row[3] != "PASS"]
        if failing:
            result.append(
                Violation(
                    "workbook.checks",
                    "the invariants hold but the Checks sheet says: "
                    + "; ".join(
                        f"{row[0]} (expected {row[1]}, actual {row[2]}): {row[3]}" for row in failing
                    ),
                )
            )
    states = dict(
        Application.objects.filter(call=call).exclude(reference="").values_list("reference", "state")
    )
    for row in rows:
        state = states.get(row.get("Reference"))
        allowed = OUTCOMES_OF_STATE.get(state)
        if allowed is not None and row.get("Outcome") not in allowed:
            result.append(
                Violation(
                    "workbook.outcome",
                    f"{row.get('Reference')} is {state} but the Applications sheet shows outcome {row.get('Outcome')!r} (rank {row.get('Rank')}, score {row.get('Evaluation score')})",
                )
            )
    return result
