"""Applicant pages for applications: start, edit the draft, consortium, documents, self-check,
submit, withdraw. Views are thin: projects.workflow does every state change."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.identities import sees_reviewers, shown_to_applicant
from competitions.eligibility import failures
from competitions.lifecycle import TransitionRefused
from competitions.models import Call
from competitions.refusals import show_refusal

from .. import carry_over, corrections, identity, workflow
from ..answers import answer_sections
from ..dashboard import applicant_dashboard
from ..documents import store_document, validate_document
from ..eligibility_check import check_eligibility
from ..forms import (
    AnswersForm,
    ApplicationForm,
    ApplicationStartForm,
    ConsortiumMemberForm,
    CorrectionDocumentForm,
    DocumentForm,
    FundingPlanCorrectionForm,
    indicator_formset,
    indicator_rows,
)
from ..indicators import proposed_table
from ..models import Application, ApplicationState, CorrectionItemKind, Document, Organisation


def application_for(user, pk, perm="projects.view_application"):
    """The application if ``user`` may act on it; 404 otherwise (ids are not a secret handshake)."""
    application = get_object_or_404(
        Application.objects.select_related("call", "track", "service_field", "lead", "test_bed_region"), pk=pk
    )
    if not user.has_perm(perm, application):
        raise Http404
    return application


@login_required
def dashboard(request):
    return render(request, "projects/dashboard.html", {"dashboard": applicant_dashboard(request.user)})


@login_required
def application_start(request, slug):
    call = get_object_or_404(Call.objects.public(), slug=slug)
    refusal = workflow.deadline_refusal(call, timezone.now())
    if refusal:
        messages.error(request, refusal)
        return redirect("competitions:call_detail", slug=call.slug)
    if not Organisation.objects.filter(memberships__user=request.user).exists():
        messages.info(request, _("Register your organisation first; then apply."))
        return redirect("projects:organisation_create")
    form = ApplicationStartForm(
        request.POST or None, call=call, user=request.user, instance=Application(call=call)
    )
    continuable = continuable_from(call, request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = workflow.start_application(
                call,
                lead=data["lead"],
                track=data["track"],
                service_field=data.get("service_field"),
                title=data["title"],
                by=request.user,
            )
        except TransitionRefused as exc:
            form.add_error(None, exc.reasons)
        else:
            return redirect("projects:application_edit", pk=application.pk)
    return render(
        request,
        "projects/application_start.html",
        {"call": call, "form": form, "continuable": continuable},
    )


def continuable_from(call, user):
    """The user's organisations' applications in ``call``'s previous stage that were selected
    there and have no application to ``call`` yet: each may be continued (projects.carry_over)."""
    if call.previous_stage_id is None:
        return []
    selected = (
        Application.objects.filter(
            call_id=call.previous_stage_id,
            lead__memberships__user=user,
            state__in=carry_over.SELECTED_STATES,
        )
        .exclude(
            lead_id__in=Application.objects.filter(call=call)
            .exclude(state=ApplicationState.WITHDRAWN)
            .values("lead_id")
        )
        .select_related("lead")
        .order_by("reference", "pk")
        .distinct()
    )
    return list(selected)


@login_required
@require_POST
def application_carry_over(request, slug):
    """Continue from the previous stage: the next stage's draft, started from the selected
    stage-1 application (``from``); then the applicant edits it."""
    call = get_object_or_404(Call.objects.public(), slug=slug)
    raw = request.POST.get("from", "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise Http404
    source = application_for(request.user, int(raw), "projects.change_application")
    try:
        done = carry_over.carry_over(source, call, by=request.user)
    except TransitionRefused as exc:
        show_refusal(request, exc)
        return redirect("projects:application_detail", pk=source.pk)
    messages.success(
        request,
        _(
            "The draft for %(call)s was started from %(reference)s: %(answers)d answer(s), %(indicators)d indicator(s) and %(members)d consortium member(s) carried over. Each member must accept again. Check and edit everything, attach the documents this stage asks for, then submit."
        )
        % {
            "call": call.display_title,
            "reference": source.reference or source.title,
            "answers": done.answers,
            "indicators": done.indicators,
            "members": done.members,
        },
    )
    return redirect("projects:application_detail", pk=done.application.pk)


@login_required
def application_detail(request, pk):
    application = corrections.return_if_overdue(application_for(request.user, pk))
    results = check_eligibility(application)
    return render(
        request,
        "projects/application_detail.html",
        {
            "application": application,
            "results": results,
            "failing": failures(results),
            "can_edit": request.user.has_perm("projects.change_application", application),
            "members": application.consortium_members.live().select_related("organisation"),
            "documents": application.documents.filter(superseded=False),
            "member_form": ConsortiumMemberForm(application=application),
            "document_form": DocumentForm(),
            "history": application_history(application, request.user),
            "answer_sections": answer_sections(application),
            "indicator_table": proposed_table(application),
            "correction": corrections.open_request(application),
            "next_stages": _next_stages_open(application, request.user),
        },
    )


def _next_stages_open(application, user):
    """The next-stage calls this selected application may be continued to now (none when it may
    not: projects.carry_over says why when asked)."""
    if application.state not in carry_over.SELECTED_STATES or not user.has_perm(
        "projects.change_application", application
    ):
        return []
    now = timezone.now()
    return [
        call
        for call in carry_over.next_stages(application.call).select_related("previous_stage")
        if carry_over.carry_over_refusal(application, call, now) is None
    ]


def application_history(application, viewer):
    """The application's transitions, oldest first, each with its states' translated labels
    (``source_label``, ``label``; a state no longer defined shows its stored code) and who acted
    as ``viewer`` may read it (``actor``): staff read every address; anyone else reads the lead
    organisation's own people by address and everyone else as the ministry or the system, so
    that no reviewer is ever named to an applicant (DESIGN.md §3)."""
    from django_fsm_log.models import StateLog

    labels = dict(ApplicationState.choices)
    entries = list(StateLog.objects.for_(application).select_related("by").order_by("timestamp", "pk"))
    staff = sees_reviewers(viewer)
    own_people = set() if staff else set(application.lead.memberships.values_list("user_id", flat=True))
    for entry in entries:
        entry.source_label = labels.get(entry.source_state, entry.source_state)
        entry.label = labels.get(entry.state, entry.state)
        if staff:
            entry.actor = entry.by.email if entry.by else ""
        else:
            entry.actor = shown_to_applicant(entry.by, own_people)
    return entries


@login_required
def application_edit(request, pk):
    application = application_for(request.user, pk, "projects.change_application")
    if application.state != ApplicationState.DRAFT:
        messages.info(request, _("Only a draft can be edited."))
        return redirect("projects:application_detail", pk=pk)
    form = ApplicationForm(request.POST or None, instance=application)
    posted = request.method == "POST"
    answers_form = AnswersForm(
        request.POST if posted else None, request.FILES if posted else None, application=application
    )
    # A post without the indicators' part (an older form, a script) leaves them as they are.
    indicators_posted = posted and "indicators-TOTAL_FORMS" in request.POST
    indicators_form = indicator_formset(application, request.POST if indicators_posted else None)
    # Every form is checked, so that every refusal shows at once, beside what was typed.
    if posted and all(
        [form.is_valid(), answers_form.is_valid(), not indicators_posted or indicators_form.is_valid()]
    ):
        try:
            workflow.save_draft(
                application,
                form.changes(),
                by=request.user,
                expected_version=form.cleaned_data["version"],
                answers=answers_form.values,
                files=answers_form.uploads,
                indicators=indicator_rows(indicators_form) if indicators_posted else None,
            )
        except workflow.EditConflict as exc:
            messages.error(request, str(exc))
        except (TransitionRefused, ValidationError) as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("projects:application_detail", pk=pk)
    return render(
        request,
        "projects/application_form.html",
        {
            "application": application,
            "form": form,
            "answers_form": answers_form,
            "indicators_form": indicators_form,
        },
    )


@login_required
def application_submit(request, pk):
    """GET: the confirmation page, what will be submitted; POST: submit (the server checks the
    deadline, the rules and the state again, however long the page was open)."""
    if request.method == "POST":
        return _submit(request, pk)
    application = application_for(request.user, pk, "projects.change_application")
    if application.state != ApplicationState.DRAFT:
        return redirect("projects:application_detail", pk=pk)
    results = check_eligibility(application)
    return render(
        request,
        "projects/application_confirm.html",
        {
            "application": application,
            "results": results,
            "failing": failures(results),
            "members": application.consortium_members.live().select_related("organisation"),
            "documents": application.documents.filter(superseded=False),
            "answer_sections": answer_sections(application),
            "refusal": workflow.deadline_refusal(application.call, timezone.now()),
        },
    )


def _submit(request, pk):
    """The workflow reads (and locks) the application once and checks the permission on it:
    the deadline burst's requests pay for no second read. Not allowed, or no such id: 404, as
    application_for answers."""
    try:
        application = workflow.submit(pk, by=request.user)
    except (Application.DoesNotExist, PermissionDenied):
        raise Http404 from None
    except TransitionRefused as exc:
        show_refusal(request, exc)
    else:
        messages.success(
            request,
            _("Submitted. Your reference number is %(reference)s.") % {"reference": application.reference},
        )
    return redirect("projects:application_detail", pk=pk)


@login_required
@require_POST
def application_withdraw(request, pk):
    application = application_for(request.user, pk, "projects.change_application")
    try:
        workflow.withdraw(application, by=request.user, reason=request.POST.get("reason", ""))
    except TransitionRefused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _("The application was withdrawn."))
    return redirect("projects:application_detail", pk=pk)


def _draft_for_change(request, pk):
    application = application_for(request.user, pk, "projects.change_application")
    return application, workflow.draft_change_refusal(application, timezone.now())


@login_required
@require_POST
def member_add(request, pk):
    application, refusal = _draft_for_change(request, pk)
    if refusal:
        messages.error(request, refusal)
        return redirect("projects:application_detail", pk=pk)
    form = ConsortiumMemberForm(request.POST, application=application)
    if form.is_valid():
        form.save()
        messages.success(request, _("Consortium member added."))
    else:
        show_refusal(request, ValidationError(form.errors))
    return redirect("projects:application_detail", pk=pk)


@login_required
@require_POST
def member_remove(request, pk, member_pk):
    application = application_for(request.user, pk, "projects.change_application")
    member = get_object_or_404(application.consortium_members.live(), pk=member_pk)
    try:
        identity.remove_consortium_member(member, by=request.user, reason=request.POST.get("reason", ""))
    except TransitionRefused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _("Consortium member removed."))
    return redirect("projects:application_detail", pk=pk)


@login_required
@require_POST
def document_upload(request, pk):
    application = application_for(request.user, pk, "projects.change_application")
    if application.state == ApplicationState.CORRECTION_REQUESTED:
        return _correction_upload(request, application)
    application, refusal = _draft_for_change(request, pk)
    form = DocumentForm(request.POST, request.FILES)
    if refusal:
        messages.error(request, refusal)
    elif not form.is_valid():
        show_refusal(request, ValidationError(form.errors))
    else:
        upload = form.cleaned_data["file"]
        try:
            file_format = validate_document(upload, upload.name, size=upload.size)
        except ValidationError as exc:
            show_refusal(request, exc)
        else:
            with transaction.atomic():
                # A new upload replaces the old one of the same kind, which is kept (a file
                # answering a question is replaced only through its question).
                document = store_document(
                    application,
                    kind=form.cleaned_data["kind"],
                    upload=upload,
                    file_format=file_format,
                    by=request.user,
                )
            messages.success(request, _("%(name)s uploaded.") % {"name": document.original_name})
    return redirect("projects:application_detail", pk=pk)


def _correction_upload(request, application):
    """A new version of a document the open correction request names (projects.corrections
    refuses any other kind, and any upload after the deadline)."""
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        show_refusal(request, ValidationError(form.errors))
    else:
        try:
            document = corrections.replace_document(
                application, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"], by=request.user
            )
        except (TransitionRefused, ValidationError) as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, _("%(name)s uploaded.") % {"name": document.original_name})
    return redirect("projects:application_correct", pk=application.pk)


@login_required
def application_correct(request, pk):
    """The correction page: the request's message and deadline, an upload for each named
    document kind, the funding plan if named, the named answers to the call's questions, and
    the resubmission. Each form posts its ``part``; the others stay unbound."""
    application = corrections.return_if_overdue(
        application_for(request.user, pk, "projects.change_application")
    )
    correction = corrections.open_request(application)
    if application.state != ApplicationState.CORRECTION_REQUESTED or correction is None:
        messages.info(request, _("No correction is requested for this application."))
        return redirect("projects:application_detail", pk=pk)
    items = list(correction.items.all())
    kinds = [item.target for item in items if item.kind == CorrectionItemKind.DOCUMENT]
    plan_named = any(item.kind == CorrectionItemKind.FUNDING_PLAN for item in items)
    codes = [item.target for item in items if item.kind == CorrectionItemKind.ANSWER]
    part = request.POST.get("part", "funding_plan") if request.method == "POST" else None
    plan_post = request.POST if part == "funding_plan" else None
    answers_post = (request.POST, request.FILES) if part == "answers" else ()
    plan_form = FundingPlanCorrectionForm(plan_post, instance=application) if plan_named else None
    answers_form = AnswersForm(*answers_post, application=application, only=codes) if codes else None
    if plan_post is not None and plan_form is not None and plan_form.is_valid():
        try:
            corrections.correct_funding_plan(application, plan_form.cleaned_data, by=request.user)
        except TransitionRefused as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, _("The funding plan was corrected; the plan as submitted is kept."))
            return redirect("projects:application_correct", pk=pk)
    if answers_post and answers_form is not None and answers_form.is_valid():
        try:
            corrections.correct_answers(
                application, answers_form.values, answers_form.uploads, by=request.user
            )
        except TransitionRefused as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, _("The answers were corrected; the answers as submitted are kept."))
            return redirect("projects:application_correct", pk=pk)
    return render(
        request,
        "projects/application_correct.html",
        {
            "application": application,
            "correction": correction,
            "items": items,
            "document_form": CorrectionDocumentForm(kinds=kinds) if kinds else None,
            "plan_form": plan_form,
            "answers_form": answers_form,
            "documents": application.documents.filter(superseded=False, kind__in=kinds),
        },
    )


@login_required
@require_POST
def application_resubmit(request, pk):
    application = application_for(request.user, pk, "projects.change_application")
    try:
        corrections.resubmit(application, by=request.user)
    except TransitionRefused as exc:
        show_refusal(request, exc)
        return redirect("projects:application_correct", pk=pk)
    messages.success(request, _("The corrected application was resubmitted."))
    return redirect("projects:application_detail", pk=pk)


@login_required
def document_download(request, pk):
    """Files live outside the web root; this is the only way to them, checked per object."""
    document = get_object_or_404(Document.objects.select_related("application__lead"), pk=pk)
    if not request.user.has_perm("projects.view_application", document.application):
        raise Http404
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=document.original_name)


@login_required
@require_POST
def application_accept(request, pk):
    from .. import ledger

    application = application_for(request.user, pk, "projects.change_application")
    try:
        ledger.accept_selection(application, by=request.user)
    except TransitionRefused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _("You accepted the award. The ministry will prepare the agreement."))
    return redirect("projects:application_detail", pk=pk)
