"""The staff's pages of a call's notice page (/staff/calls/<slug>/notice/): documents, notices,
the contact and the deadline; and the questions queue (/staff/questions/). Thin: every change is
a function of competitions.notices; a refused form is shown again with what was typed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import notices
from .lifecycle import TransitionRefused, change_call_state
from .models import Call, CallDocument, Inquiry, Notice
from .notice_forms import (
    ContactForm,
    DocumentForm,
    ExtendDeadlineForm,
    InquiryAnswerForm,
    NoticeEditForm,
    NoticeForm,
    ReplaceDocumentForm,
    WithdrawDocumentForm,
)
from .refusals import add_to_form, show_refusal

QUESTIONS_PER_PAGE = 30


def staff_page(view):
    """Signed in (else to the log-in page), and ministry staff (else 403)."""
    return login_required(permission_required("competitions.manage_notice_page", raise_exception=True)(view))


def _contact_initial(call):
    contact = getattr(call, "contact", None)
    if contact is None:
        return {}
    return {
        name: getattr(contact, name) for name in ("department", "department_ko", "person", "phone", "email")
    }


def _run(action, call, form, request):
    data = form.cleaned_data
    if action == "contact":
        notices.set_contact(call, by=request.user, **data)
        return _("Contact saved.")
    if action == "document":
        document = notices.attach_document(call, upload=data.pop("file"), by=request.user, **data)
        return _("“%(title)s” attached.") % {"title": document.display_title}
    if action == "replace":
        old = get_object_or_404(CallDocument, pk=_number(request.POST.get("document")), call=call)
        document = notices.attach_document(
            call, upload=data.pop("file"), replaces=old, by=request.user, **data
        )
        return _("“%(title)s” replaced; the earlier file is kept.") % {"title": document.display_title}
    if action == "withdraw":
        document = get_object_or_404(CallDocument, pk=_number(request.POST.get("document")), call=call)
        notices.withdraw_document(document, by=request.user, reason=data["reason"])
        return _("“%(title)s” withdrawn from the page; it is kept.") % {"title": document.display_title}
    if action == "notice":
        notice = notices.post_notice(call, by=request.user, **data)
        return _("Notice “%(title)s” posted.") % {"title": notice.display_title}
    if action == "extend":
        extension = notices.extend_deadline(call, data["closes_at"], reason=data["reason"], by=request.user)
        return _("Deadline extended; %(count)d people told.") % {"count": extension.notified}
    raise TransitionRefused([_("Unknown action.")])


FORMS = {
    "contact": ContactForm,
    "document": DocumentForm,
    "replace": ReplaceDocumentForm,
    "withdraw": WithdrawDocumentForm,
    "notice": NoticeForm,
    "extend": ExtendDeadlineForm,
}


@staff_page
@require_POST
def call_publish(request, slug):
    """Publish a draft call from its staff dashboard (competitions.lifecycle checks the permission
    and says what blocks it); its application questions are frozen from then on."""
    call = get_object_or_404(Call, slug=slug)
    try:
        change_call_state(call, "publish", by=request.user, reason=_("Published from the call's dashboard."))
    except (TransitionRefused, PermissionDenied) as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _("The call is published: it is on the public list of calls."))
    return redirect("evaluation:call_dashboard", slug=slug)


@staff_page
def notice_page(request, slug):
    call = get_object_or_404(Call.objects.select_related("programme", "contact"), slug=slug)
    bound = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        form_class = FORMS.get(action)
        if form_class is None:
            show_refusal(request, TransitionRefused([_("Unknown action.")]))
            return redirect("competitions:staff_notice_page", slug=slug)
        document_pk = _number(request.POST.get("document"))
        form = form_class(request.POST, request.FILES, prefix=_prefix(action, document_pk))
        if form.is_valid():
            try:
                messages.success(request, _run(action, call, form, request))
            except ValidationError as exc:
                add_to_form(form, exc)
            except (TransitionRefused, PermissionDenied) as exc:
                show_refusal(request, exc)
                return redirect("competitions:staff_notice_page", slug=slug)
            else:
                return redirect("competitions:staff_notice_page", slug=slug)
        bound[action] = form
        bound["failed_document"] = document_pk
    documents = list(call.documents.select_related("uploaded_by", "retired_by").order_by("position", "pk"))
    failed = bound.get("failed_document")
    context = {
        "call": call,
        "documents": [
            {
                "document": document,
                "replace": bound.get("replace")
                if failed == document.pk and "replace" in bound
                else ReplaceDocumentForm(
                    prefix=_prefix("replace", document.pk),
                    initial={"kind": document.kind, "title": document.title, "title_ko": document.title_ko},
                ),
                "withdraw": bound.get("withdraw")
                if failed == document.pk and "withdraw" in bound
                else WithdrawDocumentForm(prefix=_prefix("withdraw", document.pk)),
            }
            for document in documents
        ],
        "notices": list(call.notices.select_related("posted_by").annotate(revision_count=Count("revisions"))),
        "extensions": list(call.deadline_extensions.select_related("by")),
        "open_questions": call.inquiries.filter(answered_at__isnull=True).count(),
        "contact_form": bound.get("contact") or ContactForm(prefix="contact", initial=_contact_initial(call)),
        "document_form": bound.get("document") or DocumentForm(prefix="document"),
        "notice_form": bound.get("notice") or NoticeForm(prefix="notice"),
        "extend_form": bound.get("extend") or ExtendDeadlineForm(prefix="extend"),
    }
    response = render(request, "competitions/staff_notice_page.html", context)
    if bound:
        response.status_code = 400
    return response


@staff_page
def notice_edit(request, slug, pk):
    notice = get_object_or_404(Notice.objects.select_related("call"), pk=pk, call__slug=slug)
    if request.method == "POST":
        form = NoticeEditForm(request.POST)
        if form.is_valid():
            try:
                notices.edit_notice(notice, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("Notice edited; the earlier text is kept."))
                return redirect("competitions:staff_notice_page", slug=slug)
    else:
        form = NoticeEditForm(
            initial={name: getattr(notice, name) for name in ("title", "title_ko", "body", "body_ko")}
        )
    response = render(
        request,
        "competitions/staff_notice_edit.html",
        {
            "call": notice.call,
            "notice": notice,
            "form": form,
            "revisions": list(notice.revisions.select_related("by")),
        },
    )
    if form.is_bound:
        response.status_code = 400
    return response


@staff_page
def question_queue(request):
    """Questions waiting for an answer (oldest first), or those answered, across calls or for one."""
    return _queue(request)


def _queue(request, failed=None):
    """The queue page; ``failed`` is (question pk, its bound answer form) to show again."""
    show = "answered" if request.GET.get("show") == "answered" else "open"
    questions = Inquiry.objects.select_related("call", "asked_by", "answered_by")
    slug = request.GET.get("call", "")
    call = Call.objects.filter(slug=slug).first() if slug else None
    if call is not None:
        questions = questions.filter(call=call)
    if show == "open":
        questions = questions.filter(answered_at__isnull=True).order_by("asked_at", "pk")
    else:
        questions = questions.filter(answered_at__isnull=False).order_by("-answered_at", "-pk")
    page = Paginator(questions, QUESTIONS_PER_PAGE).get_page(request.GET.get("page"))
    counts = Inquiry.objects.filter(**({"call": call} if call else {})).aggregate(
        open=Count("pk", filter=Q(answered_at__isnull=True)),
        answered=Count("pk", filter=Q(answered_at__isnull=False)),
    )
    rows = [
        (
            question,
            failed[1] if failed and failed[0] == question.pk else InquiryAnswerForm(prefix=f"q{question.pk}"),
        )
        for question in page
    ]
    return render(
        request,
        "competitions/staff_questions.html",
        {
            "page": page,
            "rows": rows,
            "show": show,
            "call": call,
            "counts": counts,
            "query_prefix": urlencode({**({"call": call.slug} if call else {}), "show": show}) + "&",
        },
        status=400 if failed else 200,
    )


@staff_page
def question_answer(request, pk):
    question = get_object_or_404(Inquiry.objects.select_related("call"), pk=pk)
    back = reverse("competitions:question_queue") + (
        f"?call={request.GET['call']}" if request.GET.get("call") else ""
    )
    if request.method != "POST":
        return redirect(back)
    form = InquiryAnswerForm(request.POST, prefix=f"q{question.pk}")
    if form.is_valid():
        try:
            notices.answer_question(question, answer=form.cleaned_data["answer"], by=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        except (TransitionRefused, PermissionDenied) as exc:
            show_refusal(request, exc)
            return redirect(back)
        else:
            messages.success(request, _("Answer published; the person who asked is told by e-mail."))
            return redirect(back)
    return _queue(request, failed=(question.pk, form))


def _prefix(action, document_pk):
    """Each document's replace and withdraw forms are named apart (field ids unique on the page)."""
    return f"{action}-{document_pk}" if action in ("replace", "withdraw") else action


def _number(raw):
    return int(raw) if (raw or "").isdigit() and len(raw) < 10 else 0
