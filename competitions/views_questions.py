"""The staff page where a call's application questions are built (competitions.questions does
the work: it refuses every change once the call is published)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role

from . import questions
from .forms import QuestionForm, SectionForm
from .lifecycle import TransitionRefused
from .models import Call, Question, QuestionSection
from .refusals import show_refusal


def _number(raw):
    return int(raw) if (raw or "").isdigit() and len(raw) < 10 else 0


def question_builder(request, slug):
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    if not has_role(request.user, Role.STAFF):
        raise PermissionDenied
    call = get_object_or_404(Call, slug=slug)
    section = question = None
    if request.GET.get("section"):
        section = get_object_or_404(QuestionSection, pk=_number(request.GET["section"]), call=call)
    if request.GET.get("question"):
        question = get_object_or_404(Question, pk=_number(request.GET["question"]), call=call)
    action = request.POST.get("action") if request.method == "POST" else None
    # Both forms share field names (help text, position): the section's ids are its own, so
    # that each label points at its control.
    section_form = SectionForm(
        request.POST if action == "section" else None,
        instance=section or QuestionSection(),
        call=call,
        auto_id="id_section_%s",
    )
    question_form = QuestionForm(
        request.POST if action == "question" else None, instance=question or Question(), call=call
    )
    if action:
        try:
            message = _act(request, call, action, section_form, question_form)
        except (TransitionRefused, ValidationError) as exc:
            show_refusal(request, exc)
        else:
            if message:
                messages.success(request, message)
                return redirect("competitions:question_builder", slug=call.slug)
    return render(
        request,
        "competitions/question_builder.html",
        {
            "call": call,
            "sections": questions.questions_of(call),
            "frozen": questions.frozen_refusal(call),
            "section_form": section_form,
            "question_form": question_form,
            "editing_section": section,
            "editing_question": question,
        },
    )


def _act(request, call, action, section_form, question_form):
    """Do the posted action; return the success message, or None when a form has errors."""
    if action == "section":
        if not section_form.is_valid():
            return None
        questions.save_section(section_form.instance, by=request.user)
        return _("Section saved.")
    if action == "question":
        if not question_form.is_valid():
            return None
        questions.save_question(question_form.instance, by=request.user)
        return _("Question saved.")
    if action == "delete_question":
        target = get_object_or_404(Question, pk=_number(request.POST.get("pk")), call=call)
        questions.delete_question(target, by=request.user)
        return _("Question removed.")
    if action == "delete_section":
        target = get_object_or_404(QuestionSection, pk=_number(request.POST.get("pk")), call=call)
        questions.delete_section(target, by=request.user)
        return _("Section removed.")
    raise TransitionRefused([_("Unknown action.")])
