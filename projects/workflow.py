"""The application workflow up to eligibility: one function per state change.

Each checks the user's permission, runs in a transaction with the row locked, refuses with
reasons in the user's language (changing nothing), runs the django-fsm-2 transition (logged with
who, when, from, to and why by django-fsm-log) and queues the e-mail in the outbox.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from competitions.eligibility import failures
from competitions.formatting import format_seoul
from competitions.lifecycle import TransitionRefused, require_call_state
from competitions.models import Call

from .compiled_reads import CompiledRead, NestedRead, attach_prefetched, statement_cursor
from .compiled_writes import CompiledUpdate
from .duplicates import open_findings_refusal
from .eligibility_check import check_many, load_snapshot_rows, snapshot_annotations
from .models import (
    Application,
    ApplicationState,
    CorrectionRequest,
    CorrectionStatus,
    Organisation,
    ReferenceCounter,
)
from .models.application import ELIGIBILITY_PENDING_STATES
from .outbox import tell
from .tasks import wake_after_submissions


class EditConflict(Exception):
    """Someone saved the draft since this form was opened."""


def _locked(application):
    return Application.objects.select_for_update().select_related("call", "lead").get(pk=application.pk)


def _require(user, perm, application, message):
    if not user.has_perm(perm, application):
        raise PermissionDenied(message)


def deadline_refusal(call, now):
    """Why the call does not receive applications at ``now`` (None when it does)."""
    if call.is_receiving(now):
        return None
    if now > call.closes_at:
        return _("Reception closed at %(closes)s. Applications can no longer be changed or submitted.") % {
            "closes": format_seoul(call.closes_at)
        }
    if now < call.opens_at:
        return _("Reception opens at %(opens)s.") % {"opens": format_seoul(call.opens_at)}
    return _("This call is not receiving applications.")


def draft_change_refusal(application, now):
    """Why ``application``'s draft parts (its consortium, its documents) may not change at
    ``now`` (None when they may): only a draft, only while its call receives applications."""
    if application.state != ApplicationState.DRAFT:
        return _("Only a draft can be changed.")
    return deadline_refusal(application.call, now)


def one_per_lead_refusal(call, lead, exclude_pk=None):
    """Why ``lead`` may not have another application in ``call`` (None when it may): a call
    that takes one application per lead organisation refuses a second one, draft or submitted,
    unless the first was withdrawn."""
    if not call.one_application_per_lead:
        return None
    other = (
        Application.objects.filter(call=call, lead=lead)
        .exclude(state=ApplicationState.WITHDRAWN)
        .exclude(pk=exclude_pk)
        .order_by("pk")
        .first()
    )
    if other is None:
        return None
    return _(
        "%(organisation)s already leads an application to this call (“%(title)s”, %(state)s); this call takes one application per lead organisation. Continue that one, or withdraw it first."
    ) % {"organisation": lead.name, "title": other.title, "state": other.get_state_display()}


def start_application(call, *, lead, track, title, by, service_field=None, now=None):
    """Start a draft in ``call`` led by ``lead``. Refused outside the reception window and, in a
    call that takes one application per lead, when the lead already has one: checked with the
    call row locked, so that two starts at once by the same organisation give one draft."""
    now = now or timezone.now()
    if not Organisation.objects.filter(pk=lead.pk, memberships__user=by).exists():
        raise PermissionDenied(_("You may apply only for an organisation you belong to."))
    with transaction.atomic():
        locked_call = Call.objects.select_for_update().get(pk=call.pk)
        refusal = deadline_refusal(locked_call, now) or one_per_lead_refusal(locked_call, lead)
        if refusal:
            raise TransitionRefused([refusal])
        application = Application(
            call=locked_call, lead=lead, track=track, service_field=service_field, title=title, created_by=by
        )
        application.full_clean()
        application.save()
    return application


def save_draft(
    application, changes, *, by, expected_version, now=None, answers=None, files=None, indicators=None
):
    """Apply ``changes`` (field -> value) to a draft that is still at ``expected_version``, with
    its answers to the call's questions (``answers`` {question: value}, ``files`` {question:
    (upload, format)}: projects.answers.save_answers) and its performance indicators
    (``indicators`` [IndicatorRow]: projects.indicators.save_indicators).

    Two tabs editing the same draft: the second save names a stale version and gets
    EditConflict instead of silently overwriting the first.
    """
    _require(by, "projects.change_application", application, _("You may not edit this application."))
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(application)
        if locked.state != ApplicationState.DRAFT:
            raise TransitionRefused(
                [
                    _("Only a draft can be edited; this application is “%(state)s”.")
                    % {"state": locked.applicant_label}
                ]
            )
        refusal = deadline_refusal(locked.call, now)
        if refusal:
            raise TransitionRefused([refusal])
        if locked.version != expected_version:
            raise EditConflict(
                _(
                    "This draft was changed elsewhere (for example in another tab) after you opened it. Reload it, then make your changes again."
                )
            )
        many = {
            name: changes.pop(name)
            for name in list(changes)
            if name in {"smart_services", "technology_fields", "service_types"}
        }
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.version += 1
        locked.full_clean(exclude=["created_by"])
        locked.save()
        for name, value in many.items():
            getattr(locked, name).set(value)
        if answers or files:
            from .answers import save_answers

            save_answers(locked, answers or {}, files or {}, by=by)
        if indicators:
            from .indicators import save_indicators

            save_indicators(locked, indicators, by=by)
    return locked


def _next_reference(call):
    """The call's next reference number, sequential and without gaps.

    One statement adds one to the call's counter and returns it; the row stays locked until
    the transaction ends, so a submission that rolls back gives its number back. Every other
    submission to the call waits on that lock: call this last, just before the writes that
    need the number, and do nothing slow after it.
    """
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with statement_cursor(connection) as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_number = last_number + 1 WHERE call_id = %s RETURNING last_number",
            [call.pk],
        )
        row = cursor.fetchone()
    if row is None:  # the call's first submission: create the counter, then take the number
        ReferenceCounter.objects.get_or_create(call=call)
        return _next_reference(call)
    prefix = call.reference_prefix or call.slug.upper()[:8]
    return f"{prefix}-{row[0]:04d}"


def _locked_for_submission(pk):
    """The draft to submit, row-locked (that row only: the call, read with it, stays free for
    the other submissions to the call), with everything the submission reads, in one statement:
    its call (with the indicator settings), track, lead organisation and service field joined;
    and, as rows it brings along (eligibility_check.snapshot_annotations), what the eligibility
    snapshot reads (its live consortium, documents and answers, its call's rules and questions,
    its parties' sanctions) and the lead organisation's people (who may submit it, and whom the
    receipt goes to). Returns (the application, its eligibility_check.SnapshotRows).

    The statement every request of a deadline burst waits on, compiled once per process (_reads):
    a burst does not build and compile the same SQL on every request, nor send seven statements
    where one does."""
    found = _reads()["application"].objects(pk)
    if not found:
        raise Application.DoesNotExist(f"No application {pk}")
    (locked,) = found
    # The track's call is the application's: read once. (A call with a previous stage has it
    # read when the snapshot names it: rare, and only then.)
    locked.track.call = locked.call
    alias = locked._state.db
    snapshot = load_snapshot_rows(locked, alias)
    attach_prefetched(locked.lead, "members", _LEAD_PEOPLE.decode(locked.lead_people, alias))
    return locked, snapshot


_READS = {}
# What a submission changes of the application's row (updated_at is auto_now and needs naming).
_SUBMITTED = CompiledUpdate(Application, ["reference", "submitted_at", "state", "updated_at"])
# The lead organisation's people, with what an e-mail to each needs (address, language).
_LEAD_PEOPLE = NestedRead(
    get_user_model(),
    lambda: get_user_model().objects.filter(memberships__organisation_id=OuterRef("lead_id")),
    fields=("id", "email", "language"),
    instances=True,
)


def _reads():
    """The submission's one read (_locked_for_submission), compiled once per process
    (projects.compiled_reads)."""
    if not _READS:
        _READS["application"] = CompiledRead(
            Application,
            lambda pk: (
                Application.objects.select_for_update(of=("self",))
                .select_related("call__indicator_settings", "track", "lead", "service_field")
                .filter(pk=pk)
                .annotate(**snapshot_annotations(), lead_people=_LEAD_PEOPLE.expression())
            ),
        )
    return _READS


def submit(application, *, by, now=None):
    """Submit a draft (an Application or its id): refused after the deadline (to the second,
    by the server's clock) and while an automatic eligibility rule fails (listing every failing
    reason). Raises Application.DoesNotExist for an unknown id and PermissionDenied for someone
    who may not submit it, both before anything is changed."""
    now = now or timezone.now()
    with transaction.atomic():
        locked, snapshot = _locked_for_submission(getattr(application, "pk", application))
        # Checked on the locked row, whose lead's people were read with it: no query of its own.
        _require(by, "projects.change_application", locked, _("You may not submit this application."))
        if locked.state != ApplicationState.DRAFT:
            if locked.reference:
                raise TransitionRefused(
                    [
                        _("This application was already submitted as %(reference)s.")
                        % {"reference": locked.reference}
                    ]
                )
            raise TransitionRefused(
                [
                    _("Only a draft can be submitted; this application is “%(state)s”.")
                    % {"state": locked.applicant_label}
                ]
            )
        refusal = deadline_refusal(locked.call, now)
        if refusal is None and locked.call.one_application_per_lead:
            Call.objects.select_for_update().filter(pk=locked.call_id).exists()
            refusal = one_per_lead_refusal(locked.call, locked.lead, exclude_pk=locked.pk)
        if refusal:
            raise TransitionRefused([refusal])
        failing = failures(check_many([locked], read=snapshot)[locked.pk])
        if failing:
            raise TransitionRefused([f"{result.label}: {result.reason}" for result in failing])
        recipients = locked.lead.members.all()  # read with the application
        locked.reference = _next_reference(locked.call)
        locked.submitted_at = now
        locked.submit(by=by, description=_("Submitted as %(reference)s.") % {"reference": locked.reference})
        # Only what the submission changed, as save(update_fields=...) writes it.
        _SUBMITTED.update(locked)

        def receipt():
            return (
                _("Application %(reference)s received") % {"reference": locked.reference},
                _(
                    "Your application “%(title)s” to %(call)s was received at %(when)s with reference number %(reference)s."
                )
                % {
                    "title": locked.title,
                    "call": locked.call.display_title,
                    "when": format_seoul(now),
                    "reference": locked.reference,
                },
            )

        # Sent by the task below, not by a send task of its own: one publish at most, not two.
        _notify_lead(locked, receipt, recipients=recipients, publish=False)
        # The receipt goes out, and the duplicate-funding check (중복성 검토) runs, once this
        # commits, by a worker (tasks.after_submissions): the check refuses nothing, so the
        # receipt need not wait for it (confirming eligibility runs it again anyway, and a lost
        # one is swept up: duplicates.check_unchecked; a lost receipt by the outbox sweep).
        transaction.on_commit(wake_after_submissions, robust=True)
    return locked


def withdraw(application, *, by, reason=""):
    _require(by, "projects.change_application", application, _("You may not withdraw this application."))
    with transaction.atomic():
        locked = _locked(application)
        if locked.state not in (ApplicationState.DRAFT, *ELIGIBILITY_PENDING_STATES):
            raise TransitionRefused(
                [
                    _("This application can no longer be withdrawn; it is “%(state)s”.")
                    % {"state": locked.applicant_label}
                ]
            )
        # A correction it was waiting for is closed with it (the request stays on record).
        CorrectionRequest.objects.filter(application=locked, status=CorrectionStatus.OPEN).update(
            status=CorrectionStatus.WITHDRAWN, closed_by=by, closed_at=timezone.now()
        )
        locked.withdraw(by=by, description=reason or _("Withdrawn by the applicant."))
        locked.save()
    return locked


def decide_eligibility(application, *, by, eligible, reason=""):
    """Staff confirm or reject a submitted application; a rejection needs a written reason."""
    _require(by, "projects.decide_eligibility", application, _("Only ministry staff decide eligibility."))
    reason = (reason or "").strip()
    if not eligible and not reason:
        raise TransitionRefused(
            [_("Write the reason the application is ineligible; the applicant will read it.")]
        )
    with transaction.atomic():
        # Reception must have closed (the first decision moves the call into evaluation).
        require_call_state(Call(pk=application.call_id), "eligibility", by=by)
        locked = _locked(application)
        if locked.state != ApplicationState.SUBMITTED:
            raise TransitionRefused(
                [
                    _("Only a submitted application can be decided; %(reference)s is “%(state)s”.")
                    % {"reference": locked.reference or locked.title, "state": locked.get_state_display()}
                ]
            )
        # The duplicate-funding check runs again, and an open finding holds the confirmation
        # back. The findings it adds are kept (this block commits, deciding nothing); the
        # refusal is raised after it.
        findings_refusal = open_findings_refusal(locked) if eligible else None
        if findings_refusal is None:
            _decide(locked, by, eligible, reason)
    if findings_refusal is not None:
        raise TransitionRefused([findings_refusal])
    return locked


def _decide(locked, by, eligible, reason):
    """The decision on the locked row: the transition (logged), the reason, the e-mail."""
    if eligible:
        locked.confirm_eligible(by=by, description=reason or _("Eligibility confirmed."))
    else:
        locked.reject_ineligible(by=by, description=reason)
    locked.decision_reason = reason
    locked.notified_at = timezone.now()
    locked.save()

    def decision():
        values = {"reference": locked.reference, "call": locked.call.display_title, "reason": reason}
        if eligible:
            return (
                _("Application %(reference)s is eligible") % values,
                _(
                    "Your application %(reference)s meets the eligibility rules of %(call)s and goes on to evaluation."
                )
                % values,
            )
        return (
            _("Application %(reference)s is not eligible") % values,
            _(
                "Your application %(reference)s does not meet the eligibility rules of %(call)s. Reason: %(reason)s"
            )
            % values,
        )

    _notify_lead(locked, decision)
    return locked


def decide_many(applications, *, by, eligible, reason=""):
    """The bulk action: decide each; return (decided, refused as (application, reasons))."""
    decided, refused = [], []
    for application in applications:
        try:
            decided.append(decide_eligibility(application, by=by, eligible=eligible, reason=reason))
        except (TransitionRefused, PermissionDenied) as exc:
            refused.append((application, getattr(exc, "reasons", [str(exc)])))
    return decided, refused


def _lead_members(application):
    """The lead organisation's members, with what an e-mail to each needs (address, language)."""
    return list(application.lead.members.only("pk", "email", "language"))


def _notify_lead(application, compose, recipients=None, publish=True):
    """E-mail every member of the lead organisation (or ``recipients``) through the outbox, each
    in their own language: ``compose()`` returns (subject, body) (outbox.tell)."""
    tell(_lead_members(application) if recipients is None else recipients, compose, publish=publish)


def bulk_transition(application_ids, transition_name, *, by, description=""):
    """Run one transition on many applications in one statement, logging each change.

    For staff-side moves of thousands of applications (opening review, publishing a
    selection): the rows are locked, those whose state allows the transition move, and one
    django-fsm-log entry per application records who, when, from, to and why. Returns the ids
    moved.
    """
    from django.contrib.contenttypes.models import ContentType
    from django_fsm_log.models import StateLog

    from .bulk import insert_rows

    method = getattr(Application, transition_name)
    transitions = {t.source: t.target for t in method._django_fsm.transitions.values()}
    now = timezone.now()
    moved = []
    content_type = ContentType.objects.get_for_model(Application)
    with transaction.atomic():
        rows = list(
            Application.objects.select_for_update()
            .filter(pk__in=list(application_ids), state__in=list(transitions))
            .values_list("pk", "state")
        )
        by_source = {}
        for pk, state in rows:
            by_source.setdefault(state, []).append(pk)
        logs = []
        for source, pks in by_source.items():
            target = transitions[source]
            Application.objects.filter(pk__in=pks).update(state=target, updated_at=now)
            logs.extend(
                (
                    now,
                    by.pk if by else None,
                    source,
                    target,
                    transition_name,
                    content_type.pk,
                    pk,
                    description or None,
                )
                for pk in pks
            )
            moved.extend(pks)
        insert_rows(
            StateLog,
            [
                "timestamp",
                "by_id",
                "source_state",
                "state",
                "transition",
                "content_type_id",
                "object_id",
                "description",
            ],
            logs,
        )
    return moved
