"""The call's notice page as run in public (DESIGN.md §3, "A published reception deadline may be
extended, never shortened"): the announcement and forms, notices, questions and answers, the
contact, and deadline extensions.

One function per change. Each checks the person's permission (competitions.rules), refuses bad
input with a reason in the person's language and changes nothing (TransitionRefused,
ValidationError or PermissionDenied), or writes in one transaction with the rows it depends on
locked, keeping who, when and why. Nothing is deleted: a replaced document is retired and kept,
an edited notice keeps each revision, an extension is a record of its own. Who is told by e-mail
is decided above this floor (competitions.signals, projects.call_notices), in the same
transaction.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .files import safe_filename, validate_document
from .formatting import format_seoul
from .lifecycle import TransitionRefused
from .models import Call, CallState
from .models.notice_page import (
    CallContact,
    CallDocument,
    CallDocumentKind,
    DeadlineExtension,
    Inquiry,
    Notice,
    NoticeRevision,
)
from .signals import deadline_extended, people_told, question_answered

# Questions: how long, and how many one person may ask about one call in a day.
MAX_QUESTION_CHARS = 2000
MAX_ANSWER_CHARS = 5000
QUESTIONS_PER_DAY = 5
MAX_REASON_CHARS = 1000


def _require(user, perm, obj, message):
    if not user.has_perm(perm, obj):
        raise PermissionDenied(message)


def _require_staff(user, call):
    _require(
        user, "competitions.manage_notice_page", call, _("Only ministry staff keep a call's notice page.")
    )


def _text(value, limit=None):
    return (value or "").strip()[:limit] if limit else (value or "").strip()


def _required_in_one_language(english, korean, field, label):
    if not english and not korean:
        raise ValidationError({field: _("Give the %(what)s in Korean or English.") % {"what": label}})


# --- Documents (공고문, 서식) ----------------------------------------------------------------------


def attach_document(call, *, kind, title, title_ko="", upload, by, replaces=None, reason=""):
    """Attach ``upload`` to the call as a document of ``kind``; with ``replaces``, the new file
    takes the old one's place, and the old one is retired (kept, with who, when and why).

    The file is checked by content like every upload (competitions.files): at most 20 MB, a PDF,
    HWP, HWPX, DOCX or XLSX whose name agrees with its content.
    """
    _require_staff(by, call)
    title, title_ko = _text(title, 200), _text(title_ko, 200)
    if kind not in CallDocumentKind.values:
        raise ValidationError({"kind": _("Choose the kind of document from the list.")})
    _required_in_one_language(title, title_ko, "title", _("title"))
    if upload is None:
        raise ValidationError({"file": _("Choose a file to upload.")})
    file_format = validate_document(upload, upload.name, size=upload.size)
    reason = _text(reason, MAX_REASON_CHARS)
    if replaces is not None and not reason:
        raise ValidationError({"reason": _("Say why the document is replaced.")})
    now = timezone.now()
    with transaction.atomic():
        old = None
        if replaces is not None:
            old = CallDocument.objects.select_for_update().get(pk=replaces.pk)
            if old.call_id != call.pk:
                raise PermissionDenied(_("That document belongs to another call."))
            if old.retired_at is not None:
                raise TransitionRefused(
                    [_("“%(title)s” was already replaced or withdrawn.") % {"title": old.display_title}]
                )
        document = CallDocument(
            call=call,
            kind=kind,
            title=title,
            title_ko=title_ko,
            original_name=safe_filename(upload.name),
            file_format=file_format,
            size=upload.size,
            position=old.position if old else call.documents.count(),
            uploaded_by=by,
            replaces=old,
        )
        document.file.save(document.original_name, upload, save=False)
        document.save()
        if old is not None:
            old.retired_at, old.retired_by, old.retire_reason = now, by, reason
            old.save(update_fields=["retired_at", "retired_by", "retire_reason"])
    return document


def withdraw_document(document, *, by, reason):
    """Take a document off the public page (kept, with who, when and why)."""
    _require_staff(by, document.call)
    reason = _text(reason, MAX_REASON_CHARS)
    if not reason:
        raise ValidationError({"reason": _("Say why the document is withdrawn.")})
    with transaction.atomic():
        locked = CallDocument.objects.select_for_update().get(pk=document.pk)
        if locked.retired_at is not None:
            raise TransitionRefused(
                [_("“%(title)s” was already replaced or withdrawn.") % {"title": locked.display_title}]
            )
        locked.retired_at, locked.retired_by, locked.retire_reason = timezone.now(), by, reason
        locked.save(update_fields=["retired_at", "retired_by", "retire_reason"])
    return locked


# --- Notices --------------------------------------------------------------------------------------


def _notice_texts(title, title_ko, body, body_ko):
    texts = {
        "title": _text(title, 200),
        "title_ko": _text(title_ko, 200),
        "body": _text(body, 20000),
        "body_ko": _text(body_ko, 20000),
    }
    _required_in_one_language(texts["title"], texts["title_ko"], "title", _("title"))
    _required_in_one_language(texts["body"], texts["body_ko"], "body", _("text"))
    return texts


def post_notice(call, *, title="", title_ko="", body="", body_ko="", by, now=None):
    """Post a notice on the call's page (its first revision is kept too)."""
    _require_staff(by, call)
    texts = _notice_texts(title, title_ko, body, body_ko)
    now = now or timezone.now()
    with transaction.atomic():
        notice = Notice.objects.create(call=call, posted_by=by, posted_at=now, **texts)
        NoticeRevision.objects.create(notice=notice, number=1, by=by, at=now, **texts)
    return notice


def edit_notice(notice, *, title="", title_ko="", body="", body_ko="", reason="", by, now=None):
    """Change a notice's text; the earlier text stays in its revisions, with who changed it,
    when and why."""
    _require_staff(by, notice.call)
    texts = _notice_texts(title, title_ko, body, body_ko)
    reason = _text(reason, MAX_REASON_CHARS)
    if not reason:
        raise ValidationError({"reason": _("Say why the notice is edited.")})
    now = now or timezone.now()
    with transaction.atomic():
        locked = Notice.objects.select_for_update().get(pk=notice.pk)
        if all(getattr(locked, name) == value for name, value in texts.items()):
            raise ValidationError(_("Nothing was changed."))
        number = locked.revisions.count() + 1
        NoticeRevision.objects.create(notice=locked, number=number, reason=reason, by=by, at=now, **texts)
        for name, value in texts.items():
            setattr(locked, name, value)
        locked.edited_at = now
        locked.save(update_fields=[*texts, "edited_at"])
    return locked


# --- Questions and answers ------------------------------------------------------------------------


def question_refusal(call, user):
    """Why ``user`` cannot ask a question about ``call`` now (None when they can): for the page,
    which offers the form only when there is nothing to refuse."""
    if not user.is_authenticated:
        return _("Sign in to ask a question.")
    if not user.has_perm("competitions.ask_inquiry", call):
        return _("Questions are asked by applicants; ministry staff answer them.")
    if call.state != CallState.PUBLISHED:
        return _("Questions are taken while the call is announced; this call is “%(state)s”.") % {
            "state": call.get_state_display()
        }
    return None


def ask_question(call, *, text, by, now=None):
    """Record ``by``'s question about ``call``: not empty, at most 2,000 characters, at most five
    a day per person and call. Only the asker and staff see it until it is answered."""
    refusal = question_refusal(call, by)
    if refusal:
        raise PermissionDenied(refusal) if not by.is_authenticated else TransitionRefused([refusal])
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write your question.")})
    if len(text) > MAX_QUESTION_CHARS:
        raise ValidationError(
            {
                "text": _("A question may have at most %(limit)s characters; this one has %(count)s.")
                % {"limit": f"{MAX_QUESTION_CHARS:,}", "count": f"{len(text):,}"}
            }
        )
    now = now or timezone.now()
    with transaction.atomic():
        # The asker's row is the lock: two tabs posting at once cannot both pass the limit.
        get_user_model().objects.select_for_update().filter(pk=by.pk).first()
        recent = Inquiry.objects.filter(call=call, asked_by=by, asked_at__gt=now - timedelta(days=1)).count()
        if recent >= QUESTIONS_PER_DAY:
            raise TransitionRefused(
                [
                    _("You have asked %(count)d questions about this call in the last 24 hours; please wait for the answers or call the contact.")
                    % {"count": recent}
                ]
            )  # fmt: skip
        return Inquiry.objects.create(call=call, asked_by=by, text=text, asked_at=now)


def answer_question(question, *, answer, by, now=None):
    """Answer a question: the answer is public on the call's page (the asker never named), and the
    asker is told by e-mail in their language. A question is answered once."""
    _require(by, "competitions.answer_inquiry", question, _("Only ministry staff answer questions."))
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("Write the answer.")})
    if len(answer) > MAX_ANSWER_CHARS:
        raise ValidationError(
            {
                "answer": _("An answer may have at most %(limit)s characters; this one has %(count)s.")
                % {"limit": f"{MAX_ANSWER_CHARS:,}", "count": f"{len(answer):,}"}
            }
        )
    now = now or timezone.now()
    with transaction.atomic():
        locked = Inquiry.objects.select_for_update().select_related("call", "asked_by").get(pk=question.pk)
        if locked.answered_at is not None:
            raise TransitionRefused(
                [
                    _("This question was already answered at %(when)s.")
                    % {"when": format_seoul(locked.answered_at)}
                ]
            )
        locked.answer, locked.answered_by, locked.answered_at = answer, by, now
        locked.save(update_fields=["answer", "answered_by", "answered_at"])
        question_answered.send(sender=Inquiry, question=locked)
    return locked


# --- Contact --------------------------------------------------------------------------------------


def set_contact(call, *, department="", department_ko="", person="", phone="", email="", by):
    """Set whom applicants contact about the call (department, person, phone, e-mail)."""
    _require_staff(by, call)
    values = {
        "department": _text(department, 200),
        "department_ko": _text(department_ko, 200),
        "person": _text(person, 100),
        "phone": _text(phone, 40),
        "email": _text(email, 254),
    }
    _required_in_one_language(values["department"], values["department_ko"], "department", _("department"))
    if not values["phone"] and not values["email"]:
        raise ValidationError({"phone": _("Give a phone number or an e-mail address.")})
    with transaction.atomic():
        contact = CallContact.objects.select_for_update().filter(call=call).first() or CallContact(call=call)
        for name, value in values.items():
            setattr(contact, name, value)
        contact.updated_by = by
        contact.full_clean(exclude=["call", "updated_by"])
        contact.save()
    return contact


# --- The reception deadline -----------------------------------------------------------------------


def extend_deadline(call, new_closes_at, *, reason, by, now=None):
    """Move a published call's reception deadline later. Everyone with a draft or a submission in
    the call is told the new deadline and the reason; the extension is kept with who and when.

    Refused (nothing changed) when the call is not published, when the new deadline is not after
    the current one (a deadline is never shortened) or not in the future, or without a reason.
    """
    _require_staff(by, call)
    if not by.has_perm("competitions.change_call"):
        raise PermissionDenied(_("You may not change calls."))
    reason = _text(reason)
    if not reason:
        raise ValidationError(
            {"reason": _("Say why the deadline is extended; everyone who applied reads it.")}
        )
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationError(
            {
                "reason": _("The reason may have at most %(limit)s characters.")
                % {"limit": f"{MAX_REASON_CHARS:,}"}
            }
        )
    if new_closes_at is None:
        raise ValidationError(
            {"closes_at": _("Give the new deadline as a date and time (Korea Standard Time).")}
        )
    now = now or timezone.now()
    with transaction.atomic():
        locked = Call.objects.select_for_update().get(pk=call.pk)
        if locked.state != CallState.PUBLISHED:
            raise TransitionRefused(
                [
                    _("Only a published call's deadline is extended; this call is “%(state)s”.")
                    % {"state": locked.get_state_display()}
                ]
            )
        if new_closes_at == locked.closes_at:
            raise ValidationError(
                {"closes_at": _("%(new)s is the current deadline.") % {"new": format_seoul(new_closes_at)}}
            )
        shortened = locked.deadline_change_refusal(
            locked.state, locked.closes_at, new_closes_at, recorded=True
        )
        if shortened:
            raise ValidationError({"closes_at": shortened})
        if new_closes_at <= now:
            raise ValidationError(
                {
                    "closes_at": _("The new deadline must be in the future (now: %(now)s).")
                    % {"now": format_seoul(now)}
                }
            )
        extension = DeadlineExtension.objects.create(
            call=locked,
            previous_closes_at=locked.closes_at,
            new_closes_at=new_closes_at,
            reason=reason,
            by=by,
        )
        locked.closes_at = new_closes_at
        locked.save(update_fields=["closes_at", "updated_at"])
        extension.notified = people_told(
            deadline_extended.send(sender=Call, call=locked, extension=extension)
        )
        extension.save(update_fields=["notified"])
    return extension


# --- The public page ------------------------------------------------------------------------------


def notice_page(call, user):
    """What the call's page shows of its notice page, in a constant number of queries: current
    documents, notices newest first, answered questions (never naming the asker), the viewer's own
    unanswered questions, deadline extensions and the contact (select_related by the caller)."""
    mine = []
    if user.is_authenticated:
        mine = list(Inquiry.objects.filter(call=call, asked_by=user, answered_at__isnull=True))
    return {
        "documents": list(call.documents.current()),
        "notices": list(call.notices.all()),
        "answered": list(call.inquiries.filter(answered_at__isnull=False).order_by("-answered_at", "-pk")),
        "my_questions": mine,
        "extensions": list(call.deadline_extensions.all()),
        "question_refusal": question_refusal(call, user),
    }
