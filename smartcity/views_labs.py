"""Living labs' pages: the public lab, joining and withdrawing, a participant's feedback, the
results per phase (managers and staff) and the participants (approved managers only). Thin:
smartcity.living_labs checks, saves and logs every change."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from competitions.lifecycle import TransitionRefused
from competitions.refusals import add_to_form, show_refusal
from evaluation.charts import grouped_bars_chart
from projects.views.staff import staff_only

from . import labs_export, living_labs
from .forms_labs import (
    FeedbackForm,
    JoinForm,
    LabForm,
    ManagerForm,
    PhaseForm,
    QuestionForm,
    SurveyForm,
    WithdrawForm,
)
from .models import Feedback, LivingLab
from .spreadsheets import download

PAGE_SIZE = 50


def _lab(pk):
    return get_object_or_404(LivingLab.objects.select_related("project"), pk=pk)


def lab_list(request):
    labs = (
        LivingLab.objects.select_related("project")
        .annotate(
            active_participants=Count("participants", filter=Q(participants__withdrawn_at__isnull=True))
        )
        .order_by("-created_at", "-pk")
    )
    page = Paginator(labs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "smartcity/labs/lab_list.html",
        {
            "page": page,
            "opens": request.user.has_perm("smartcity.approve_livinglab_manager", None),
            "menu": "living_labs",
        },
    )


@staff_only
def lab_create(request):
    """Staff open a living lab on a funded project (its citizen-led track)."""
    form = LabForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            project, services = data.pop("project"), data.pop("services")
            try:
                lab = living_labs.open_lab(project, services=services, by=request.user, **data)
            except ValidationError as exc:
                add_to_form(form, exc)
            except TransitionRefused as exc:
                for reason in exc.reasons:
                    form.add_error("project", reason)
            else:
                messages.success(request, _("The living lab is open. Approve its managers on its page."))
                return redirect("smartcity:lab", pk=lab.pk)
        status = 400
    return render(
        request, "smartcity/labs/lab_form.html", {"form": form, "menu": "living_labs"}, status=status
    )


def _lab_page(request, lab, join_form=None, status=200):
    participant = living_labs.participant_of(lab, request.user)
    return render(
        request,
        "smartcity/labs/lab_detail.html",
        {
            "lab": lab,
            "services": lab.services.select_related("menu_item"),
            "participant": participant,
            "join_form": join_form or JoinForm(),
            "runs": request.user.has_perm("smartcity.run_livinglab", lab),
            "sees_participants": request.user.has_perm("smartcity.view_livinglab_participants", lab),
            "approves": request.user.has_perm("smartcity.approve_livinglab_manager", lab),
            "phase_form": PhaseForm(),
            "manager_form": ManagerForm(),
            "withdraw_form": WithdrawForm(),
            "question_form": QuestionForm(initial={"phase": lab.phase}),
            "menu": "living_labs",
        },
        status=status,
    )


def lab_detail(request, pk):
    return _lab_page(request, _lab(pk))


@login_required
@require_POST
def lab_join(request, pk):
    lab = _lab(pk)
    form = JoinForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            living_labs.join(
                lab,
                request.user,
                name=data["name"],
                contact=data["contact"],
                age_band=data["age_band"],
                consent_given=data["consent"],
            )
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("You have joined the living lab. Thank you for taking part."))
            return redirect("smartcity:lab_feedback", pk=lab.pk)
    return _lab_page(request, lab, join_form=form, status=400)


def _participant(request, lab):
    participant = living_labs.participant_of(lab, request.user)
    if participant is None:
        raise Http404  # only a participant has a feedback page
    return participant


@login_required
def lab_feedback(request, pk):
    lab = _lab(pk)
    participant = _participant(request, lab)
    form = FeedbackForm(request.POST or None, lab=lab)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                living_labs.give_feedback(
                    participant,
                    form.cleaned_data["service"],
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("Thank you: your feedback is recorded."))
                return redirect("smartcity:lab_feedback", pk=lab.pk)
        status = 400
    return _feedback_page(request, lab, participant, form, status=status)


def _feedback_page(request, lab, participant, form, survey_form=None, status=200):
    given = (
        Feedback.objects.filter(participant=participant, replaced_at__isnull=True)
        .select_related("service")
        .order_by("phase", "service__position")
    )
    return render(
        request,
        "smartcity/labs/feedback.html",
        {
            "lab": lab,
            "participant": participant,
            "form": form,
            "survey_form": survey_form or SurveyForm(questions=living_labs.current_questions(lab)),
            "given": given,
            "menu": "living_labs",
        },
        status=status,
    )


@login_required
@require_POST
def lab_survey(request, pk):
    lab = _lab(pk)
    participant = _participant(request, lab)
    form = SurveyForm(request.POST, questions=living_labs.current_questions(lab))
    if form.is_valid():
        try:
            living_labs.answer_survey(participant, form.answers())
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Thank you: your answers are recorded."))
            return redirect("smartcity:lab_feedback", pk=lab.pk)
    return _feedback_page(request, lab, participant, FeedbackForm(lab=lab), survey_form=form, status=400)


@login_required
@require_POST
def lab_question(request, pk):
    lab = _lab(pk)
    if not request.user.has_perm("smartcity.run_livinglab", lab):
        raise PermissionDenied
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            living_labs.add_question(lab, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, _("The question is added to the phase's survey."))
    else:
        messages.error(request, _("Write the question and choose its phase and kind of answer."))
    return redirect("smartcity:lab", pk=lab.pk)


@login_required
@require_POST
def lab_withdraw(request, pk):
    lab = _lab(pk)
    participant = _participant(request, lab)
    form = WithdrawForm(request.POST)
    try:
        living_labs.withdraw(participant, by=request.user, reason=form.data.get("reason", "")[:500])
    except ValidationError as exc:
        show_refusal(request, exc)
    else:
        messages.success(
            request, _("You have withdrawn. Your feedback stays in the results without your name.")
        )
    return redirect("smartcity:lab", pk=lab.pk)


@login_required
def lab_results(request, pk):
    lab = _lab(pk)
    if not request.user.has_perm("smartcity.view_livinglab_results", lab):
        raise PermissionDenied
    phases = living_labs.results(lab)
    survey = living_labs.survey_results(lab)
    ratings = [str(rating) for rating in living_labs.RATINGS]
    charts = [
        grouped_bars_chart(
            [(result.service.display_name, list(result.distribution.values())) for result in phase.services],
            ratings,
            _("Ratings given per service in the phase “%(phase)s”") % {"phase": phase.label},
            f"lab-{phase.phase}",
        )
        for phase in phases
    ]
    current = (
        request.GET.get("phase") if request.GET.get("phase") in dict(living_labs.NEXT_PHASE) else lab.phase
    )
    return render(
        request,
        "smartcity/labs/results.html",
        {
            "lab": lab,
            "phases": list(zip(phases, charts, strict=True)),
            "ratings": living_labs.RATINGS,
            "comments": living_labs.comments(lab, current),
            "comments_phase": current,
            "surveys": [(phase.label, survey[phase.phase]) for phase in phases if survey[phase.phase]],
            "menu": "living_labs",
        },
    )


@login_required
def lab_results_export(request, pk, fmt):
    """The results as a CSV or XLSX file: no personal data, comments without names."""
    lab = _lab(pk)
    if not request.user.has_perm("smartcity.view_livinglab_results", lab):
        raise PermissionDenied
    content = labs_export.as_csv(lab) if fmt == "csv" else labs_export.as_xlsx(lab)
    return download(content, fmt, labs_export.filename(lab, fmt))


@login_required
def lab_participants(request, pk):
    lab = _lab(pk)
    if not request.user.has_perm("smartcity.view_livinglab_participants", lab):
        raise PermissionDenied  # staff too: they see results, not people
    participants = lab.participants.annotate(
        feedback_count=Count("feedback", filter=Q(feedback__replaced_at__isnull=True))
    ).order_by("consented_at", "pk")
    page = Paginator(participants, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "smartcity/labs/participants.html", {"lab": lab, "page": page, "menu": "living_labs"}
    )


@login_required
@require_POST
def lab_phase(request, pk):
    lab = _lab(pk)
    if not request.user.has_perm("smartcity.run_livinglab", lab):
        raise PermissionDenied
    try:
        lab = living_labs.advance(lab, by=request.user, reason=request.POST.get("reason", ""))
    except TransitionRefused as exc:
        show_refusal(request, exc)
    else:
        messages.success(
            request, _("The living lab is now in the phase “%(phase)s”.") % {"phase": lab.get_phase_display()}
        )
    return redirect("smartcity:lab", pk=lab.pk)


@login_required
@require_POST
def lab_manager(request, pk):
    lab = _lab(pk)
    if not request.user.has_perm("smartcity.approve_livinglab_manager", lab):
        raise PermissionDenied
    form = ManagerForm(request.POST)
    user = None
    if form.is_valid():
        user = get_user_model().objects.filter(email__iexact=form.cleaned_data["email"]).first()
    if user is None:
        messages.error(request, _("No account has this e-mail address."))
    else:
        living_labs.approve_manager(lab, user, by=request.user)
        messages.success(request, _("The manager is approved."))
    return redirect("smartcity:lab", pk=lab.pk)
