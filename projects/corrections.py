"""Correction requests (보완 요청, DESIGN.md §3 "Correction requests" and §4).

While eligibility is being checked, staff may ask that a submitted application correct named
parts (documents of given kinds, the funding plan, answers to the call's questions) by a
deadline (Asia/Seoul, to the second). Until then the applicant may change those parts and
nothing else, and resubmits; the originals are kept (a new document version, a funding-plan
revision). When the deadline passes without a resubmission, the application returns to staff as
it stands (the beat's sweep, and lazily whenever the application is opened). Every step is
logged (django-fsm-log for the state, the request's and items' own who/when) and mailed.

Locks, in this order everywhere: the call (when the process gate is checked), the
application, its open request. The applicant's resubmission and the deadline's sweep both lock
the application and re-check the request under the lock, so exactly one of them wins.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from competitions.eligibility import failures
from competitions.formatting import format_seoul
from competitions.lifecycle import TransitionRefused, require_call_state
from competitions.models import Call, DocumentKind, Question, QuestionKind

from .answers import save_answers
from .documents import store_document, validate_document
from .eligibility_check import check_eligibility
from .models import (
    Answer,
    AnswerRevision,
    Application,
    ApplicationState,
    CorrectionItem,
    CorrectionItemKind,
    CorrectionRequest,
    CorrectionStatus,
    FundingPlanRevision,
)
from .models.correction import FUNDING_PLAN_FIELDS
from .outbox import tell

Kind = CorrectionItemKind


@dataclass(frozen=True)
class Part:
    """A part of an application that a correction request may name."""

    kind: str
    target: str
    label: str


# --- What can be named ------------------------------------------------------------------------


def answer_parts(application):
    """The call-specific questions of the application's call, in the form's order, as parts
    (kind ``answer``, the question's code as target, its label in the active language), in one
    query; a call without questions has none."""
    questions = Question.objects.filter(call_id=application.call_id).order_by(
        "section__position", "section_id", "position", "pk"
    )
    return [Part(Kind.ANSWER, question.code, question.display_label) for question in questions]


def correctable_parts(application):
    """Every part a correction request on ``application`` may name: each document kind, the
    funding plan, and each of the call's questions."""
    parts = [Part(Kind.DOCUMENT, value, str(label)) for value, label in DocumentKind.choices]
    parts.append(Part(Kind.FUNDING_PLAN, "", _("The funding plan")))
    parts.extend(answer_parts(application))
    return parts


# --- Staff: ask for a correction ----------------------------------------------------------------


def request_correction(application, *, by, parts, message, deadline, now=None):
    """Ask the applicant to correct ``parts`` ([(kind, target)]) by ``deadline`` (aware).

    Refused, changing nothing, with every reason: no part named, a part the application does
    not have, no message, a deadline not in the future, the call not checking eligibility, the
    application not submitted (or already waiting for a correction). Returns the request."""
    if not by.has_perm("projects.request_correction", application):
        raise PermissionDenied(_("Only ministry staff ask for corrections."))
    now = now or timezone.now()
    message = (message or "").strip()
    known = {(part.kind, part.target): part for part in correctable_parts(application)}
    named = list(dict.fromkeys((kind, target or "") for kind, target in parts))
    reasons = []
    if not named:
        reasons.append(_("Name at least one part to correct: a document, the funding plan or an answer."))
    unknown = [f"{kind}:{target}" for kind, target in named if (kind, target) not in known]
    if unknown:
        reasons.append(
            _("This application has no such part to correct: %(parts)s.") % {"parts": ", ".join(unknown)}
        )
    if not message:
        reasons.append(_("Write what to correct; the applicant will read it."))
    if deadline is None or deadline <= now:
        reasons.append(
            _("The correction deadline must be in the future (now: %(now)s).") % {"now": format_seoul(now)}
        )
    if reasons:
        raise TransitionRefused(reasons)
    with transaction.atomic():
        require_call_state(Call(pk=application.call_id), "correction", by=by, now=now)
        locked = _locked(application)
        if locked.state != ApplicationState.SUBMITTED:
            raise TransitionRefused(
                [
                    _(
                        "Only a submitted application can be sent back for a correction; %(reference)s is “%(state)s”."
                    )
                    % {"reference": locked.reference or locked.title, "state": locked.get_state_display()}
                ]
            )
        request = CorrectionRequest.objects.create(
            application=locked, message=message, deadline=deadline, requested_by=by, requested_at=now
        )
        items = CorrectionItem.objects.bulk_create(
            CorrectionItem(request=request, kind=kind, target=target, label=known[(kind, target)].label)
            for kind, target in named
        )
        locked.request_correction(
            by=by,
            description=_("Correction requested by %(deadline)s: %(parts)s. %(message)s")
            % {"deadline": format_seoul(deadline), "parts": _names(items), "message": message},
        )
        locked.save()
        _tell_lead(locked, lambda: _request_mail(locked, request, items))
    return request


def _request_mail(application, request, items):
    subject = _("Correction requested for application %(reference)s") % {"reference": application.reference}
    body = _(
        "The ministry asks you to correct your application %(reference)s to %(call)s by %(deadline)s.\n\n"
        "What to correct: %(parts)s\n\n%(message)s\n\n"
        "You may change only these parts, then resubmit. If you do not resubmit by the deadline, "
        "the application goes back to the ministry as it stands."
    ) % {
        "reference": application.reference,
        "call": application.call.display_title,
        "deadline": format_seoul(request.deadline),
        "parts": _names(items),
        "message": request.message,
    }
    return subject, body


# --- The applicant: what may change, and changing it ---------------------------------------------


def open_request(application):
    """The application's open correction request with its items, or None."""
    return (
        CorrectionRequest.objects.filter(application=application, status=CorrectionStatus.OPEN)
        .prefetch_related("items")
        .first()
    )


def change_refusal(application, request, kind, target, now):
    """Why ``application`` may not have its part (kind, target) changed at ``now`` (None when
    it may): only the parts its open request names, only until the deadline."""
    if application.state != ApplicationState.CORRECTION_REQUESTED or request is None:
        return _("This application is “%(state)s”: it cannot be changed.") % {
            "state": application.applicant_label
        }
    if now > request.deadline:
        return _("The correction deadline passed at %(deadline)s; changes are no longer accepted.") % {
            "deadline": format_seoul(request.deadline)
        }
    if _item(request, kind, target) is None:
        return _("The correction request does not name this part; only %(parts)s may be changed.") % {
            "parts": _names(request.items.all())
        }
    return None


def may_change(application, kind, target="", now=None):
    """Whether the applicant may change this part now (for pages and the call's questions)."""
    return change_refusal(application, open_request(application), kind, target, now or timezone.now()) is None


def replace_document(application, *, kind, upload, by, now=None):
    """Upload a new version of a document the open request names; the old one is kept."""
    _require_applicant(by, application)
    file_format = validate_document(upload, upload.name, size=upload.size)
    with transaction.atomic():
        locked, request, item = _lock_for_change(application, Kind.DOCUMENT, kind, now)
        document = store_document(locked, kind=kind, upload=upload, file_format=file_format, by=by)
        item.document = document
        _mark_corrected(item, by, now)
    return document


def correct_funding_plan(application, values, *, by, now=None):
    """Change the funding plan under an open request naming it: the plan as it was and as it
    becomes are recorded (FundingPlanRevision); an unchanged plan is refused."""
    _require_applicant(by, application)
    with transaction.atomic():
        locked, request, item = _lock_for_change(application, Kind.FUNDING_PLAN, "", now)
        before = {name: getattr(locked, name) for name in FUNDING_PLAN_FIELDS}
        after = {name: int(values.get(name, before[name])) for name in FUNDING_PLAN_FIELDS}
        if any(amount < 0 for amount in after.values()):
            raise TransitionRefused([_("Amounts cannot be negative.")])
        if after == before:
            raise TransitionRefused(
                [_("The funding plan is unchanged; change an amount, or leave it as it is.")]
            )
        FundingPlanRevision.objects.create(
            application=locked,
            item=item,
            changed_by=by,
            changed_at=_now(now),
            **{f"{name}_before": value for name, value in before.items()},
            **{f"{name}_after": value for name, value in after.items()},
        )
        for name, value in after.items():
            setattr(locked, name, value)
        locked.version += 1
        locked.save()
        _mark_corrected(item, by, now)
    return locked


def correct_answers(application, values, files=None, *, by, now=None):
    """Change answers to the call's questions under an open request naming them.

    ``values`` {question: value cleaned by competitions.questions.clean_answer} and ``files``
    {question: (upload, DocumentFormat)}, as projects.forms.AnswersForm gives them. Each answer
    that changes is recorded as it was and as it becomes (AnswerRevision; a replaced file is
    kept, superseded, and becomes the item's document) and its item is marked corrected; an
    answer posted as it was is left alone. Refused, changing nothing, with every reason: a
    question the request does not name (or of another call), after the deadline (read here, at
    the write), nothing changed. Returns the revisions."""
    _require_applicant(by, application)
    files = files or {}
    moment = _now(now)
    with transaction.atomic():
        locked = _locked(application)
        request = _locked_open_request(locked)
        reasons = [
            change_refusal(
                locked,
                request,
                Kind.ANSWER,
                question.code if question.call_id == locked.call_id else None,
                moment,
            )
            for question in [*values, *files]
        ]
        reasons = list(dict.fromkeys(reason for reason in reasons if reason))
        if reasons:
            raise TransitionRefused(reasons)
        asked = [question.pk for question in [*values, *files]]
        before = {
            answer.question_id: answer
            for answer in Answer.objects.filter(application=locked, question_id__in=asked)
        }

        def old_value(question):
            answer = before.get(question.pk)
            return answer.value if answer is not None else None

        changed = {
            question: value
            for question, value in values.items()
            if question.kind != QuestionKind.FILE and value != old_value(question)
        }
        uploads = {
            question: upload for question, upload in files.items() if question.kind == QuestionKind.FILE
        }
        if not changed and not uploads:
            raise TransitionRefused([_("The answers are unchanged; change an answer, or leave it as it is.")])
        save_answers(locked, changed, uploads, by=by)
        after = {
            answer.question_id: answer
            for answer in Answer.objects.filter(application=locked, question__in=[*changed, *uploads])
        }
        revisions = []
        for question in [*changed, *uploads]:
            item = _item(request, Kind.ANSWER, question.code)
            old, new = before.get(question.pk), after[question.pk]
            revisions.append(
                AnswerRevision.objects.create(
                    application=locked,
                    item=item,
                    question=question,
                    value_before=old.value if old is not None else None,
                    value_after=new.value,
                    document_before_id=old.document_id if old is not None else None,
                    document_after_id=new.document_id,
                    changed_by=by,
                    changed_at=moment,
                )
            )
            if question in uploads:
                item.document_id = new.document_id
            _mark_corrected(item, by, moment)
        locked.version += 1
        locked.save(update_fields=["version"])
    return revisions


def resubmit(application, *, by, now=None):
    """The applicant sends the corrected application back before the deadline.

    Refused, changing nothing: after the deadline (however long the page was open), while a
    named part is not corrected yet, or while an automatic eligibility rule fails."""
    _require_applicant(by, application)
    with transaction.atomic():
        locked = _locked(application)
        request = _locked_open_request(locked)
        moment = _now(now)
        if locked.state != ApplicationState.CORRECTION_REQUESTED or request is None:
            raise TransitionRefused([_resubmit_state_refusal(locked)])
        if moment > request.deadline:
            raise TransitionRefused(
                [
                    _(
                        "The correction deadline passed at %(deadline)s; the application goes back to the ministry as it stands."
                    )
                    % {"deadline": format_seoul(request.deadline)}
                ]
            )
        items = list(request.items.all())
        missing = [item for item in items if not item.corrected]
        if missing:
            raise TransitionRefused(
                [
                    _("Correct every named part before resubmitting; still to do: %(parts)s.")
                    % {"parts": _names(missing)}
                ]
            )
        failing = failures(check_eligibility(locked))
        if failing:
            raise TransitionRefused([f"{result.label}: {result.reason}" for result in failing])
        request.status, request.closed_by, request.closed_at = CorrectionStatus.RESUBMITTED, by, moment
        request.save(update_fields=["status", "closed_by", "closed_at"])
        locked.resubmit(
            by=by, description=_("Corrected and resubmitted: %(parts)s.") % {"parts": _names(items)}
        )
        locked.save()
        _tell_lead(locked, lambda: _resubmitted_mail(locked))
        _tell_staff(request, lambda: _returned_mail(locked, request, items))
    return locked


def _resubmit_state_refusal(application):
    last = application.correction_requests.order_by("-requested_at", "-pk").first()
    if last is not None and last.status == CorrectionStatus.EXPIRED:
        return _(
            "The correction deadline passed at %(deadline)s; the application went back to the ministry as it stood."
        ) % {"deadline": format_seoul(last.deadline)}
    return _("No correction is requested for this application; it is “%(state)s”.") % {
        "state": application.applicant_label
    }


def _resubmitted_mail(application):
    subject = _("Corrected application %(reference)s received") % {"reference": application.reference}
    body = _(
        "Your corrected application %(reference)s to %(call)s was received; the ministry goes on checking its eligibility."
    ) % {"reference": application.reference, "call": application.call.display_title}
    return subject, body


def _returned_mail(application, request, items):
    corrected = [item for item in items if item.corrected]
    missing = [item for item in items if not item.corrected]
    if request.status == CorrectionStatus.RESUBMITTED:
        subject = _("Application %(reference)s was corrected and resubmitted") % {
            "reference": application.reference
        }
    else:
        subject = _("Correction deadline passed for application %(reference)s") % {
            "reference": application.reference
        }
    body = _(
        "Application %(reference)s is back in the eligibility queue.\nCorrected: %(corrected)s\nNot corrected: %(missing)s"
    ) % {
        "reference": application.reference,
        "corrected": _names(corrected) or "-",
        "missing": _names(missing) or "-",
    }
    return subject, body


# --- The deadline ------------------------------------------------------------------------------


def return_overdue(now=None, application_ids=None):
    """Return to staff every application whose correction deadline passed without a
    resubmission, as the system account, logged and mailed. Returns the ids returned.

    Idempotent and safe beside a resubmission or another sweep: each application is claimed
    with a row lock that others skip (SKIP LOCKED on PostgreSQL), and its request is re-checked
    under the lock."""
    now = _now(now)
    overdue = CorrectionRequest.objects.filter(status=CorrectionStatus.OPEN, deadline__lt=now)
    if application_ids is not None:
        overdue = overdue.filter(application_id__in=application_ids)
    ids = list(overdue.order_by("deadline", "pk").values_list("application_id", flat=True))
    if not ids:
        return []
    from accounts.system import system_user

    system = system_user()
    returned = []
    for pk in ids:
        with transaction.atomic():
            locked = (
                Application.objects.select_for_update(skip_locked=True)
                .select_related("call", "lead")
                .filter(pk=pk, state=ApplicationState.CORRECTION_REQUESTED)
                .first()
            )
            if locked is None:  # resubmitted or withdrawn meanwhile, or another run holds it
                continue
            request = _locked_open_request(locked)
            if request is None or request.deadline >= now:
                continue
            items = list(request.items.all())
            request.status, request.closed_by, request.closed_at = CorrectionStatus.EXPIRED, system, now
            request.save(update_fields=["status", "closed_by", "closed_at"])
            corrected = [item for item in items if item.corrected]
            missing = [item for item in items if not item.corrected]
            locked.return_uncorrected(
                by=system,
                description=_(
                    "The correction deadline %(deadline)s passed without resubmission. Corrected: %(corrected)s. Not corrected: %(missing)s."
                )
                % {
                    "deadline": format_seoul(request.deadline),
                    "corrected": _names(corrected) or "-",
                    "missing": _names(missing) or "-",
                },
            )
            locked.save()
            _tell_lead(locked, lambda locked=locked, request=request: _expired_mail(locked, request))
            _tell_staff(
                request,
                lambda locked=locked, request=request, items=items: _returned_mail(locked, request, items),
            )
            returned.append(pk)
    return returned


def return_if_overdue(application, now=None):
    """The lazy check on access: returns the application (reloaded if it went back to staff)."""
    if application.state != ApplicationState.CORRECTION_REQUESTED:
        return application
    if return_overdue(now, application_ids=[application.pk]):
        return Application.objects.select_related(
            "call", "track", "service_field", "lead", "test_bed_region"
        ).get(pk=application.pk)
    return application


def _expired_mail(application, request):
    subject = _("Correction deadline passed for application %(reference)s") % {
        "reference": application.reference
    }
    body = _(
        "The deadline %(deadline)s to correct your application %(reference)s passed without a resubmission. "
        "The application went back to the ministry as it stood; no more changes are accepted."
    ) % {"deadline": format_seoul(request.deadline), "reference": application.reference}
    return subject, body


# --- What staff read ----------------------------------------------------------------------------


def history_of(application):
    """The application's correction requests, newest first, each with its items and, per item,
    what the applicant changed: the document versions of its kind (originals kept, superseded),
    the funding plan revisions and the answer revisions (before and after)."""
    requests = list(
        CorrectionRequest.objects.filter(application=application)
        .select_related("requested_by", "closed_by")
        .prefetch_related(
            "items__funding_plan_revisions",
            "items__document",
            Prefetch(
                "items__answer_revisions",
                AnswerRevision.objects.select_related("question", "document_before", "document_after"),
            ),
        )
        .order_by("-requested_at", "-pk")
    )
    versions = {}
    for document in application.documents.order_by("uploaded_at", "pk"):
        versions.setdefault(document.kind, []).append(document)
    for request in requests:
        for item in request.items.all():
            item.versions = versions.get(item.target, []) if item.kind == Kind.DOCUMENT else []
    return requests


# --- Helpers ------------------------------------------------------------------------------------


def _now(now):
    return now or timezone.now()


def _locked(application):
    return Application.objects.select_for_update().select_related("call", "lead").get(pk=application.pk)


def _locked_open_request(application):
    return (
        CorrectionRequest.objects.select_for_update()
        .filter(application=application, status=CorrectionStatus.OPEN)
        .select_related("requested_by")
        .first()
    )


def _item(request, kind, target):
    return next((i for i in request.items.all() if i.kind == kind and i.target == (target or "")), None)


def _lock_for_change(application, kind, target, now):
    """(application, request, item) locked, when the part may be changed now; refused otherwise.
    ``now`` is read here, at the write, not when the form was opened."""
    locked = _locked(application)
    request = _locked_open_request(locked)
    refusal = change_refusal(locked, request, kind, target, _now(now))
    if refusal:
        raise TransitionRefused([refusal])
    return locked, request, _item(request, kind, target)


def _mark_corrected(item, by, now):
    item.corrected_by, item.corrected_at = by, _now(now)
    item.save(update_fields=["corrected_by", "corrected_at", "document"])


def _require_applicant(user, application):
    if not user.has_perm("projects.change_application", application):
        raise PermissionDenied(_("You may not change this application."))


def _names(items):
    return ", ".join(str(item.display_name) for item in items)


def _tell_lead(application, message):
    """E-mail each member of the lead organisation in their own language, through the outbox."""
    tell(application.lead.members.all(), message)


def _tell_staff(request, message):
    """E-mail the staff member who asked for the correction, in their language."""
    tell([request.requested_by], message)
