"""Pages of certification and of the public certified-services catalogue. Thin: the rules are
in smartcity.certification and smartcity.catalogue."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm_log.models import StateLog

from accounts.roles import Role, has_role
from competitions.lifecycle import TransitionRefused
from competitions.refusals import show_refusal
from projects.views.staff import staff_only

from . import catalogue, certification
from .certification_assessors import assessor_candidates
from .forms_certification import (
    AssessmentForm,
    AssignAssessorsForm,
    CatalogueFilterForm,
    CertificateChangeForm,
    CertificationApplicationForm,
    ProjectLinkForm,
    RoundForm,
)
from .models import (
    Assessment,
    Certificate,
    CertificationApplication,
    CertificationIndex,
    CertificationRound,
    CertifiedService,
    IndexCategory,
)
from .spreadsheets import download

SERVICES_PER_PAGE = 50


# --- The public catalogue ---------------------------------------------------------------------


def _filters(request):
    form = CatalogueFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, catalogue.Filters(**form.cleaned_data)
    return form, catalogue.Filters()


def catalogue_list(request):
    """The certified services, searchable by area, technology field, service type, region,
    company and validity; a constant number of queries whatever their number."""
    form, filters = _filters(request)
    page = Paginator(catalogue.search(filters), SERVICES_PER_PAGE).get_page(request.GET.get("page"))
    catalogue.with_status(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "smartcity/certification/catalogue.html",
        {"form": form, "page": page, "query": query.urlencode(), "menu": "catalogue"},
    )


def catalogue_export(request, fmt):
    _form, filters = _filters(request)
    services = catalogue.search(filters)
    stamp = timezone.localdate().isoformat()
    content = catalogue.as_csv(services) if fmt == "csv" else catalogue.as_xlsx(services)
    return download(content, fmt, f"certified-services-{stamp}.{fmt}")


def catalogue_service(request, pk):
    service = get_object_or_404(catalogue.search(catalogue.Filters()), pk=pk)
    catalogue.with_status([service])
    certificates = (
        Certificate.objects.filter(certified_service=service)
        .exclude(state="revoked")
        .order_by("-issued_at", "-pk")
    )
    return render(
        request,
        "smartcity/certification/catalogue_service.html",
        {"service": service, "certificates": certificates, "menu": "catalogue"},
    )


# --- Applying, assessing, deciding ------------------------------------------------------------


def _application_for(user, pk):
    application = get_object_or_404(
        CertificationApplication.objects.select_related("round__index", "organisation", "menu_item__area"),
        pk=pk,
    )
    if not user.has_perm("smartcity.view_certificationapplication", application):
        raise Http404  # other people's applications: their existence is not revealed
    return application


@login_required
def certification_home(request):
    """Open rounds; one's organisations' applications; one's assessments; for staff, every
    application and a new round."""
    now = timezone.now()
    rounds = [r for r in CertificationRound.objects.order_by("-pk") if r.is_receiving(now)]
    mine = CertificationApplication.objects.filter(
        organisation__memberships__user=request.user
    ).select_related("round", "organisation")
    assessing = Assessment.objects.filter(assessor=request.user).select_related("application__round")
    is_staff = has_role(request.user, Role.STAFF)
    everything = (
        CertificationApplication.objects.select_related("round", "organisation")[:200] if is_staff else None
    )
    return render(
        request,
        "smartcity/certification/home.html",
        {
            "rounds": rounds,
            "mine": mine,
            "assessing": assessing,
            "everything": everything,
            "is_staff": is_staff,
            "menu": "certification",
        },
    )


@staff_only
def round_create(request):
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        round = form.save(commit=False)  # the index: chosen, or the latest of the kind (RoundForm)
        round.created_by = request.user
        round.save()
        messages.success(request, _("The certification round was opened."))
        return redirect("smartcity:certification_home")
    return render(request, "smartcity/certification/round_form.html", {"form": form})


@login_required
def certification_apply(request, pk):
    round = get_object_or_404(CertificationRound, pk=pk)
    if not round.is_receiving():
        raise Http404
    form = CertificationApplicationForm(
        request.POST or None, request.FILES or None, round=round, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = certification.apply(
                round,
                organisation=data["organisation"],
                by=request.user,
                title=data["title"],
                title_en=data["title_en"],
                description=data["description"],
                description_en=data["description_en"],
                menu_item=data.get("menu_item"),
                service_type=data.get("service_type"),
                technology_fields=data.get("technology_fields") or (),
                regions=data.get("regions") or (),
                renews=data.get("renews"),
                evidence=data.get("evidence"),
            )
        except TransitionRefused as exc:
            form.add_error(None, exc.reasons)
        else:
            messages.success(request, _("Your certification application was submitted."))
            return redirect("smartcity:certification_application", pk=application.pk)
    return render(request, "smartcity/certification/apply.html", {"round": round, "form": form})


@login_required
def certification_application(request, pk):
    application = _application_for(request.user, pk)
    user = request.user
    is_staff = has_role(user, Role.STAFF)
    own_assessment = application.assessments.filter(assessor=user, submitted_at__isnull=True).first()
    index = CertificationIndex.objects.prefetch_related(
        Prefetch("categories", queryset=IndexCategory.objects.prefetch_related("items"))
    ).get(pk=application.round.index_id)
    context = {
        "application": application,
        "index": index,
        "is_staff": is_staff,
        "certificate": Certificate.objects.filter(application=application).first(),
        "history": [
            (entry, certification.STEP_LABELS.get(entry.transition, entry.transition))
            for entry in StateLog.objects.for_(application).select_related("by").order_by("timestamp", "pk")
        ],
    }
    if own_assessment is not None and application.state == "under_assessment":
        context["assessment_form"] = AssessmentForm(index=index)
    if is_staff:
        context["verdict"] = certification.verdict(application)
        context["assessments"] = application.assessments.select_related("assessor")
        if application.state in ("submitted", "under_assessment"):
            context["assign_form"] = AssignAssessorsForm(candidates=assessor_candidates(application))
        context["change_form"] = CertificateChangeForm()
        context["link_form"] = ProjectLinkForm()
    return render(request, "smartcity/certification/application.html", context)


@login_required
def certification_evidence(request, pk):
    """The evidence file, to those who may see the application (its name as uploaded)."""
    application = _application_for(request.user, pk)
    return FileResponse(
        application.evidence.open("rb"), as_attachment=True, filename=application.evidence_name or "evidence"
    )


@login_required
@require_POST
def certification_assess(request, pk):
    application = _application_for(request.user, pk)
    assessment = application.assessments.filter(assessor=request.user).first()
    if assessment is None:
        raise PermissionDenied
    form = AssessmentForm(request.POST, index=application.round.index)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                label = form.fields[field].label if field in form.fields else ""
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect("smartcity:certification_application", pk=pk)
    try:
        certification.submit_assessment(
            assessment, form.points(), by=request.user, comment=form.cleaned_data["comment"]
        )
    except TransitionRefused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _("Your assessment was submitted."))
    return redirect("smartcity:certification_application", pk=pk)


@staff_only
@require_POST
def certification_assign(request, pk):
    application = get_object_or_404(CertificationApplication, pk=pk)
    form = AssignAssessorsForm(request.POST, candidates=assessor_candidates(application))
    if not form.is_valid():
        messages.error(request, _("Choose at least one assessor."))
        return redirect("smartcity:certification_application", pk=pk)
    try:
        certification.assign_assessors(application, form.cleaned_data["assessors"], by=request.user)
    except TransitionRefused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _("The assessors were assigned."))
    return redirect("smartcity:certification_application", pk=pk)


@staff_only
@require_POST
def certification_decide(request, pk):
    application = get_object_or_404(CertificationApplication, pk=pk)
    try:
        application, certificate = certification.decide(application, by=request.user)
    except TransitionRefused as exc:
        show_refusal(request, exc)
    else:
        if certificate is not None:
            messages.success(
                request, _("Certified: certificate %(number)s.") % {"number": certificate.number}
            )
        else:
            messages.warning(
                request, _("Not certified: %(reasons)s") % {"reasons": application.decision_reason}
            )
    return redirect("smartcity:certification_application", pk=pk)


@staff_only
@require_POST
def certificate_change(request, pk):
    certificate = get_object_or_404(Certificate, pk=pk)
    form = CertificateChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the change and give the reason."))
    else:
        change = certification.CERTIFICATE_TRANSITIONS[form.cleaned_data["transition"]]
        try:
            change(certificate, by=request.user, reason=form.cleaned_data["reason"])
        except TransitionRefused as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, _("The certificate was changed."))
    return redirect("smartcity:certification_application", pk=certificate.application_id)


@staff_only
@require_POST
def certificate_link_project(request, pk):
    """Link a funded pilot project (by its code) to the certificate its service holds."""
    from projects.models import Project

    certificate = get_object_or_404(Certificate, pk=pk)
    form = ProjectLinkForm(request.POST)
    project = (
        Project.objects.filter(code=form.data.get("project", "").strip()).first() if form.is_valid() else None
    )
    if project is None:
        messages.error(request, _("No project has that code."))
    else:
        certification.link_project(project, certificate, by=request.user)
        messages.success(request, _("The project was linked to the certificate."))
    return redirect("smartcity:certification_application", pk=certificate.application_id)


__all__ = ["CertifiedService"]
