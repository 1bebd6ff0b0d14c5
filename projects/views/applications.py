"""Applicant pages for applications: start, edit the draft, consortium, documents, self-check,
submit, withdraw. Views are thin: projects.workflow does every state change."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
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

from .. import workflow
from ..dashboard import applicant_dashboard
from ..documents import safe_filename, validate_document
from ..eligibility_check import check_eligibility
from ..forms import ApplicationForm, ApplicationStartForm, ConsortiumMemberForm, DocumentForm
from ..models import Application, ApplicationState, Document, Organisation


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
    if request.method == "POST" and form.is_valid():
        application = form.save(commit=False)
        application.created_by = request.user
        application.save()
        return redirect("projects:application_edit", pk=application.pk)
    return render(request, "projects/application_start.html", {"call": call, "form": form})


@login_required
def application_detail(request, pk):
    application = application_for(request.user, pk)
    results = check_eligibility(application)
    return render(
        request,
        "projects/application_detail.html",
        {
            "application": application,
            "results": results,
            "failing": failures(results),
            "can_edit": request.user.has_perm("projects.change_application", application),
            "members": application.consortium_members.select_related("organisation"),
            "documents": application.documents.filter(superseded=False),
            "member_form": ConsortiumMemberForm(application=application),
            "document_form": DocumentForm(),
            "history": application_history(application, request.user),
        },
    )


def application_history(application, viewer):
    """The application's transitions, oldest first, each with its states' translated labels
    (``source_label``, ``label``; a state no longer defined shows its stored code) and who acted
    as ``viewer`` may read it (``actor``): staff read every address; anyone else reads the lead
    organisation's own people by address and everyone else as the ministry or the system, so
    that no reviewer is ever named to an applicant (DESIGN.md §3)."""
    from django_fsm_log.models import StateLog

    labels = dict(ApplicationState.choices)
    entries = list(StateLog.objects.for_(application).select_related("by").order_by("timestamp"))
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
    if request.method == "POST" and form.is_valid():
        try:
            workflow.save_draft(
                application, form.changes(), by=request.user, expected_version=form.cleaned_data["version"]
            )
        except workflow.EditConflict as exc:
            messages.error(request, str(exc))
        except (TransitionRefused, ValidationError) as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("projects:application_detail", pk=pk)
    return render(request, "projects/application_form.html", {"application": application, "form": form})


@login_required
def application_submit(request, pk):
    """GET: the confirmation page, what will be submitted; POST: submit (the server checks the
    deadline, the rules and the state again, however long the page was open)."""
    application = application_for(request.user, pk, "projects.change_application")
    if request.method != "POST":
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
                "members": application.consortium_members.select_related("organisation"),
                "documents": application.documents.filter(superseded=False),
                "refusal": workflow.deadline_refusal(application.call, timezone.now()),
            },
        )
    try:
        application = workflow.submit(application, by=request.user)
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
    refusal = None
    if application.state != ApplicationState.DRAFT:
        refusal = _("Only a draft can be changed.")
    else:
        refusal = workflow.deadline_refusal(application.call, timezone.now())
    return application, refusal


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
    application, refusal = _draft_for_change(request, pk)
    if refusal:
        messages.error(request, refusal)
    else:
        # Removing a member from an unsubmitted draft; submitted data is never deleted.
        get_object_or_404(application.consortium_members, pk=member_pk).delete()
        messages.success(request, _("Consortium member removed."))
    return redirect("projects:application_detail", pk=pk)


@login_required
@require_POST
def document_upload(request, pk):
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
                kind = form.cleaned_data["kind"]
                # A new upload replaces the old one of the same kind, which is kept.
                application.documents.filter(kind=kind, superseded=False).update(superseded=True)
                document = Document(
                    application=application,
                    kind=kind,
                    original_name=safe_filename(upload.name),
                    file_format=file_format,
                    size=upload.size,
                    uploaded_by=request.user,
                )
                document.file.save(document.original_name, upload, save=False)
                document.save()
            messages.success(request, _("%(name)s uploaded.") % {"name": document.original_name})
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
