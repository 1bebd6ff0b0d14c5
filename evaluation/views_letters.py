"""The printable result letter of an application (evaluation.result_letters says what it states)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from accounts.roles import Role, has_role
from projects.models import Application

from .result_letters import letter_facts, letter_for


@login_required
def result_letter(request, pk):
    """The applicant's own letter once its result is published (404 before, and for anyone
    else's application); staff preview any application's letter at any time."""
    application = get_object_or_404(
        Application.objects.select_related("call", "lead", "track", "service_field"), pk=pk
    )
    preview = has_role(request.user, Role.STAFF)
    if preview:
        letter = letter_facts(application)
    else:
        if not request.user.has_perm("projects.view_application", application):
            raise Http404
        letter = letter_for(application)
        if letter is None:
            raise Http404
    return render(
        request,
        "evaluation/result_letter.html",
        {
            "application": application,
            "letter": letter,
            "preview": preview and not application.result_published,
        },
    )
