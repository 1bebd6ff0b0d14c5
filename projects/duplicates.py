"""The duplicate-funding check (중복성 검토): does this application ask again for work the state
already pays for, or is it a copy of another proposal?

For one application, against its lead and its accepted consortium members:
- ``project``: their active or recent projects (not settled, or ended within
  RECENT_PROJECT_DAYS) in the same service field (by name, in any call) or sharing a smart
  service or technology field;
- ``pending_application``: their other applications still pending, in any call (not the
  previous stage's application this one continues: projects.carry_over);
- ``sanction``: every sanction ever recorded against them (an active one also fails
  eligibility);
- ``similar_text``: submitted proposals whose title and summary are near-identical (Jaccard
  similarity of word shingles at least SIMILARITY_THRESHOLD), under any organisation, with the
  passages that match. Found with an index, not by comparing pairs: each submitted
  application's MinHash signature is cut into LSH bands stored in ProposalBucket; proposals
  sharing a band are the only candidates, and only they are compared. The previous stage's
  application it continues is the same proposal, not a copy: left out.

Run by a worker once a submission has committed (``check_unchecked`` from
projects.tasks.after_submissions, for every submission since its last run: the receipt does not
wait for it, and a check lost on the way is swept up by ``check_unchecked`` from beat), again when
eligibility is confirmed, and by staff on demand. A re-run adds only what is new; a finding is never deleted: staff clear it with
a reason or reject the application citing it, both logged with who, when and why.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from difflib import SequenceMatcher

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused
from competitions.models import ServiceField

from .models import (
    Application,
    ApplicationState,
    ConsortiumMember,
    ConsortiumMemberState,
    DuplicateFinding,
    FindingKind,
    FindingState,
    Project,
    ProjectState,
    ProposalBucket,
    Sanction,
)
from .models.application import ELIGIBILITY_PENDING_STATES

# A project counts as recent for this many days after its demonstration ends.
RECENT_PROJECT_DAYS = 365
# Still waiting for an outcome, or selected and not yet awarded (an awarded one is a project).
PENDING_STATES = (
    *ELIGIBILITY_PENDING_STATES,
    ApplicationState.ELIGIBLE,
    ApplicationState.UNDER_REVIEW,
    ApplicationState.SCORED,
    ApplicationState.RESERVE,
    ApplicationState.SELECTED,
)
LIVE_PROJECT_STATES = (ProjectState.ACTIVE, ProjectState.FINAL_REPORT)

# The text index: shingles of SHINGLE_WORDS words, BANDS × ROWS MinHash values. With 16 bands
# of 4 rows a pair at similarity 0.8 becomes a candidate with probability 1 − (1 − 0.8⁴)¹⁶ ≈
# 0.9997, a pair at 0.3 with about 0.12 (then dropped by the exact comparison).
SHINGLE_WORDS = 3
BANDS = 16
ROWS = 4
SIMILARITY_THRESHOLD = 0.8
MIN_PASSAGE_WORDS = 6
_PRIME = (1 << 61) - 1
_MASK = (1 << 64) - 1
# Fixed permutations (a·x + b mod p), the same in every process: derived from their index.
_PERMUTATIONS = [
    (
        int.from_bytes(hashlib.blake2b(f"a{i}".encode(), digest_size=8).digest(), "big") % (_PRIME - 1) + 1,
        int.from_bytes(hashlib.blake2b(f"b{i}".encode(), digest_size=8).digest(), "big") % _PRIME,
    )
    for i in range(BANDS * ROWS)
]
WORD = re.compile(r"\w+")


# --- The text index ----------------------------------------------------------------------------


def proposal_words(title, summary):
    return WORD.findall(f"{title} {summary}".lower())


def shingles(words):
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def _hash64(text):
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def minhash(shingle_set):
    """The MinHash signature: BANDS × ROWS minima of fixed permutations of the shingles' hashes."""
    hashes = [_hash64(s) for s in shingle_set]
    return [min((a * h + b) % _PRIME for h in hashes) for a, b in _PERMUTATIONS]


def bands(signature):
    """The LSH buckets: one signed 64-bit number per band of ROWS values."""
    result = []
    for band in range(BANDS):
        chunk = ",".join(str(v) for v in signature[band * ROWS : (band + 1) * ROWS])
        value = _hash64(f"{band}:{chunk}")
        result.append(value - (1 << 64) if value >= (1 << 63) else value)
    return result


def jaccard(first, second):
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


def matching_passages(words, other_words):
    """The runs of at least MIN_PASSAGE_WORDS words the two texts share, longest first."""
    matcher = SequenceMatcher(None, words, other_words, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size >= MIN_PASSAGE_WORDS]
    blocks.sort(key=lambda b: -b.size)
    return [" ".join(words[b.a : b.a + b.size]) for b in blocks[:3]]


def proposal_buckets(application):
    words = proposal_words(application.title, application.summary)
    return bands(minhash(shingles(words))) if words else []


def similar_proposals(application, buckets):
    """(other application, score, passages) for submitted proposals near-identical to this one."""
    if not buckets:
        return []
    # Proposals sharing any of this one's bucket values, by one indexed ``IN`` list. The band
    # need not be matched as well: a bucket value hashes its band's number in (``bands``), and
    # a candidate is only a candidate: the comparison below decides.
    candidates = (
        Application.objects.filter(
            pk__in=ProposalBucket.objects.filter(bucket__in=buckets).values("application_id")
        )
        .exclude(pk__in=_own_stages(application))
        .submitted()
        .select_related("lead")
        .only("pk", "reference", "title", "summary", "lead__name")
        .order_by("pk")
    )
    words = proposal_words(application.title, application.summary)
    own = shingles(words)
    found = []
    for other in candidates:
        other_words = proposal_words(other.title, other.summary)
        score = jaccard(own, shingles(other_words))
        if score >= SIMILARITY_THRESHOLD:
            found.append((other, score, matching_passages(words, other_words)))
    return found


# --- The check ---------------------------------------------------------------------------------


@dataclass
class Found:
    kind: str
    key: str
    evidence: str
    other_application: Application | None = None
    other_project: Project | None = None
    sanction: Sanction | None = None
    score: float | None = None
    passages: list = field(default_factory=list)


def organisation_ids(application):
    """The lead and the accepted consortium members: from the consortium the caller prefetched
    (a submission's eligibility snapshot did: no query), else one query."""
    prefetched = getattr(application, "_prefetched_objects_cache", {}).get("consortium_members")
    if prefetched is not None:
        members = {m.organisation_id for m in prefetched if m.counts}
    else:
        members = set(
            ConsortiumMember.objects.filter(
                application_id=application.pk, state=ConsortiumMemberState.ACCEPTED
            ).values_list("organisation_id", flat=True)
        )
    return {application.lead_id, *members}


def involved_applications(organisations):
    """{application id: state} of every application (any call, any state, this one included)
    these organisations lead or are accepted members of: one query, two look-ups by an index
    (lead; member organisation) on literal id lists."""
    led = Application.objects.filter(lead_id__in=organisations).order_by().values_list("pk", "state")
    joined = (
        ConsortiumMember.objects.filter(
            state=ConsortiumMemberState.ACCEPTED, organisation_id__in=organisations
        )
        .order_by()
        .values_list("application_id", "application__state")
    )
    return dict(led.union(joined, all=True))


def related_projects(application, today, involved):
    """The active or recent projects of the ``involved`` applications (involved_applications),
    other than this one's, in the same service field (by name) or sharing a smart service or
    technology field."""
    others = sorted(pk for pk in involved if pk != application.pk)
    if not others:
        return []
    field_match = Q(pk__in=[])
    if application.service_field_id:
        same_name = ServiceField.objects.filter(pk=application.service_field_id).values("name")
        field_match |= Q(award__application__service_field__name__in=same_name)
    field_match |= Q(award__application__smart_services__in=application.smart_services.all())
    field_match |= Q(award__application__technology_fields__in=application.technology_fields.all())
    return (
        Project.objects.filter(award__application_id__in=others)
        .filter(
            Q(state__in=LIVE_PROJECT_STATES) | Q(ends_on__gte=today - timedelta(days=RECENT_PROJECT_DAYS))
        )
        .filter(field_match)
        .select_related("award__application__lead", "award__application__service_field")
        .distinct()
        .order_by("pk")
    )


def _own_stages(application):
    """The application itself and the previous stage's application it continues
    (projects.carry_over): the same proposal at another stage of one competition, never a
    duplicate of itself."""
    return [pk for pk in (application.pk, application.carried_from_id) if pk is not None]


def pending_applications(application, involved):
    """The ``involved`` applications (involved_applications) still pending, other than this
    one's own stages."""
    own = _own_stages(application)
    pending = sorted(pk for pk, state in involved.items() if state in PENDING_STATES and pk not in own)
    if not pending:
        return []
    return Application.objects.filter(pk__in=pending).select_related("lead", "call").order_by("pk")


def sanction_history(organisations, sanctions=None, named=None):
    """Every sanction of these organisations, by pk. ``sanctions``: {organisation id: [Sanction,
    ...]} already read for them (projects.eligibility_check.sanctions_of), with ``named`` {organisation id: Organisation} for the
    names; read here (one query) when not given."""
    if sanctions is None:
        return (
            Sanction.objects.filter(organisation_id__in=organisations)
            .select_related("organisation")
            .order_by("pk")
        )
    found = sorted((s for pk in organisations for s in sanctions.get(pk, ())), key=lambda s: s.pk)
    for sanction in found:
        sanction.organisation = named[sanction.organisation_id]
    return found


def _named_parties(application):
    """{organisation id: Organisation} of the lead and the members, as prefetched with the
    application (projects.eligibility_check.with_eligibility_data)."""
    return {
        application.lead_id: application.lead,
        **{m.organisation_id: m.organisation for m in application.consortium_members.all() if m.is_live},
    }


def find_duplicates(application, *, today=None, buckets=None, sanctions=None):
    """Everything the check finds for ``application`` (nothing is written). ``sanctions``: the
    parties' sanctions the eligibility snapshot already read (sanction_history), when given
    with the application as with_eligibility_data reads it."""
    today = today or timezone.localdate()
    organisations = organisation_ids(application)
    involved = involved_applications(organisations)
    named = _named_parties(application) if sanctions is not None else None
    found = []
    for project in related_projects(application, today, involved):
        other = project.award.application
        found.append(
            Found(
                FindingKind.PROJECT,
                f"project:{project.pk}",
                _(
                    "%(organisation)s takes part in project %(project)s (“%(title)s”, %(field)s), %(state)s, demonstration %(starts)s to %(ends)s."
                )
                % {
                    "organisation": other.lead.name,
                    "project": project.code,
                    "title": other.title,
                    "field": other.service_field or "-",
                    "state": project.get_state_display(),
                    "starts": project.starts_on,
                    "ends": project.ends_on,
                },
                other_project=project,
                other_application=other,
            )
        )
    for other in pending_applications(application, involved):
        found.append(
            Found(
                FindingKind.PENDING_APPLICATION,
                f"application:{other.pk}",
                _(
                    "%(organisation)s has application %(reference)s (“%(title)s”) to %(call)s pending: %(state)s."
                )
                % {
                    "organisation": other.lead.name,
                    "reference": other.reference or other.pk,
                    "title": other.title,
                    "call": other.call.display_title,
                    "state": other.get_state_display(),
                },
                other_application=other,
            )
        )
    for sanction in sanction_history(organisations, sanctions, named):
        found.append(
            Found(
                FindingKind.SANCTION,
                f"sanction:{sanction.pk}",
                _("%(organisation)s was sanctioned from %(starts)s to %(ends)s: %(reason)s")
                % {
                    "organisation": sanction.organisation.name,
                    "starts": sanction.starts_on,
                    "ends": sanction.ends_on,
                    "reason": sanction.reason,
                },
                sanction=sanction,
            )
        )
    buckets = proposal_buckets(application) if buckets is None else buckets
    for other, score, passages in similar_proposals(application, buckets):
        evidence = _(
            "Title and summary are %(percent)d%% the same as %(reference)s (“%(title)s”, %(organisation)s)."
        ) % {
            "percent": round(score * 100),
            "reference": other.reference or other.pk,
            "title": other.title,
            "organisation": other.lead.name,
        }
        if passages:
            evidence += "\n" + _("Matching passages:") + "\n" + "\n".join(f"“{p}”" for p in passages)
        found.append(
            Found(
                FindingKind.SIMILAR_TEXT,
                f"similar:{other.pk}",
                evidence,
                other_application=other,
                score=round(score, 4),
                passages=passages,
            )
        )
    return found


def _new_finding(application, found):
    return DuplicateFinding(
        application_id=application.pk,
        kind=found.kind,
        key=found.key,
        other_application=found.other_application,
        other_project=found.other_project,
        sanction=found.sanction,
        score=found.score,
        evidence=found.evidence,
    )


def record_findings(application, found):
    """Store what is new (by key); earlier findings, open or decided, stay as they are."""
    known = set(DuplicateFinding.objects.filter(application=application).values_list("key", flat=True))
    new = [_new_finding(application, f) for f in found if f.key not in known]
    if new:
        DuplicateFinding.objects.bulk_create(new)
    return new


def _index(application, buckets):
    ProposalBucket.objects.bulk_create(
        [
            ProposalBucket(application_id=application.pk, band=band, bucket=value)
            for band, value in enumerate(buckets)
        ]
    )


# A draft, or an application withdrawn (before its check ran, or after), is not checked.
NEVER_CHECKED = (ApplicationState.DRAFT, ApplicationState.WITHDRAWN)


def check_after_submission(application_id):
    """The check of a new submission, run by a worker once the submission has committed (the
    applicant's receipt does not wait for it). Safe to run twice: a re-run stores only what is
    new and indexes again. A submission whose check was lost (the broker down) is caught by
    ``check_unchecked`` and, in any case, checked again when eligibility is confirmed."""
    with transaction.atomic():
        locked = Application.objects.select_for_update().filter(pk=application_id).first()
        if locked is None or locked.state in NEVER_CHECKED:
            return 0
        return len(recheck(locked))


# A submission gives its check this long to run before the sweep takes it up.
UNCHECKED_GRACE = timedelta(minutes=2)
# A sweep checks at most this many; the next takes the rest.
UNCHECKED_BATCH = 500


def check_unchecked(now=None, grace=UNCHECKED_GRACE):
    """Check every submitted application whose check never ran (``duplicates_checked_at`` not
    set: a proposal with no words indexes nothing, yet counts as checked once checked), and not
    withdrawn since (it would never be checked, so never leave the sweep),
    submitted more than ``grace`` ago (beat: UNCHECKED_GRACE; after a submission: None, any),
    oldest first, UNCHECKED_BATCH at a time. Returns how many were checked."""
    now = now or timezone.now()
    unchecked = (
        Application.objects.submitted()
        .exclude(state__in=NEVER_CHECKED)
        .filter(duplicates_checked_at__isnull=True)
    )
    if grace is not None:
        unchecked = unchecked.filter(submitted_at__lt=now - grace)
    ids = list(unchecked.order_by("submitted_at", "pk").values_list("pk", flat=True)[:UNCHECKED_BATCH])
    for application_id in ids:
        check_after_submission(application_id)
    return len(ids)


def _require_staff(user):
    if not user.has_perm("projects.check_duplicates"):
        raise PermissionDenied(_("Only ministry staff run and decide the duplicate-funding check."))


def run_check(application, *, by):
    """Staff run the check again (e.g. before confirming eligibility): adds what is new."""
    _require_staff(by)
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.state == ApplicationState.DRAFT:
            raise TransitionRefused([_("A draft is checked when it is submitted.")])
        return recheck(locked)


def recheck(locked):
    """Run the check again for a submitted application whose row the caller holds locked
    (staff on demand, and confirming eligibility): store what is new and index the proposal
    as it reads now (a correction may have changed it). Returns the new findings."""
    buckets = proposal_buckets(locked)
    new = record_findings(locked, find_duplicates(locked, buckets=buckets))
    ProposalBucket.objects.filter(application=locked).delete()
    _index(locked, buckets)
    # Only this column: the caller's instance may be older in others than the row.
    locked.duplicates_checked_at = timezone.now()
    Application.objects.filter(pk=locked.pk).update(duplicates_checked_at=locked.duplicates_checked_at)
    return new


def open_findings_refusal(locked):
    """Confirming eligibility re-runs the check (``recheck``) first; while a finding, new or
    old, is still open, the confirmation is refused with a reason naming each one: staff clear
    it with a reason, or reject the application citing it. None when nothing is open."""
    recheck(locked)
    pending = list(open_findings(locked).order_by("kind", "pk"))
    if not pending:
        return None
    listed = "; ".join(f"{f.get_kind_display()}: {f.evidence.splitlines()[0]}" for f in pending)
    return _(
        "%(reference)s has open duplicate-funding findings; clear each with a reason or reject the application before confirming it: %(findings)s"
    ) % {"reference": locked.reference or locked.title, "findings": listed}


def _locked_open_finding(finding):
    locked = DuplicateFinding.objects.select_for_update().get(pk=finding.pk)
    if locked.state != FindingState.OPEN:
        raise TransitionRefused(
            [_("This finding was already decided: %(state)s.") % {"state": locked.get_state_display()}]
        )
    return locked


def clear_finding(finding, *, by, reason):
    """Staff clear a finding (it is not a duplicate, or it is allowed), saying why; logged."""
    _require_staff(by)
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused([_("Write why this finding is cleared.")])
    with transaction.atomic():
        locked = _locked_open_finding(finding)
        _decide(locked, by, FindingState.CLEARED, reason)
        _log(locked, by, FindingState.OPEN, "clear", reason)
    return locked


def reject_with_finding(finding, *, by, reason):
    """Staff reject the application as ineligible citing the finding (the existing reject
    path: the applicant is told the reason, which quotes the finding)."""
    from .workflow import decide_eligibility

    _require_staff(by)
    reason = (reason or "").strip()
    if not reason:
        raise TransitionRefused(
            [_("Write the reason the application is ineligible; the applicant will read it.")]
        )
    with transaction.atomic():
        locked = _locked_open_finding(finding)
        cited = _("%(reason)s (duplicate-funding check: %(kind)s)") % {
            "reason": reason,
            "kind": locked.get_kind_display(),
        }
        decide_eligibility(locked.application, by=by, eligible=False, reason=cited)
        _decide(locked, by, FindingState.UPHELD, reason)
        _log(locked, by, FindingState.OPEN, "uphold", reason)
    return locked


def _decide(finding, by, state, reason):
    finding.state, finding.decided_by, finding.decided_at, finding.reason = state, by, timezone.now(), reason
    finding.save(update_fields=["state", "decided_by", "decided_at", "reason"])


def _log(finding, by, source, transition, reason):
    """On the finding, not the application: the applicant's history never shows the check."""
    StateLog.objects.create(
        by=by,
        source_state=source,
        state=finding.state,
        transition=transition,
        content_type=ContentType.objects.get_for_model(DuplicateFinding),
        object_id=finding.pk,
        description=reason,
    )


def open_findings(application):
    """The open findings of ``application`` (an application or an OuterRef)."""
    return DuplicateFinding.objects.filter(application=application, state=FindingState.OPEN)


def with_open_findings(applications):
    """Each application with ``open_findings_count``, in the same query (a subquery)."""
    count = (
        open_findings(OuterRef("pk"))
        .order_by()
        .values("application")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return applications.annotate(open_findings_count=Coalesce(Subquery(count), 0))


def findings_of(application):
    return list(
        DuplicateFinding.objects.filter(application=application)
        .select_related("other_application", "other_project", "decided_by")
        .order_by("state", "kind", "pk")
    )
