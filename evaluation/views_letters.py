"""The result letter of an application, as a printable page and as a PDF: one body template
(evaluation/result_letter_body.html) and one letter (evaluation.result_letters says what it
states), two renderings."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from accounts.roles import Role, has_role
from competitions.formatting import format_seoul
from projects.models import Application
from projects.pdf import pdf_response

from .result_letters import letter_facts, letter_for


def _letter(request, pk):
    """(application, letter, preview) for ``request.user``: the applicant's own letter once its
    result is published (404 before, and for anyone else's application); auditors read published
    letters; staff preview any application's letter at any time."""
    application = get_object_or_404(
        Application.objects.select_related("call__programme", "lead", "track", "service_field"), pk=pk
    )
    preview = has_role(request.user, Role.STAFF)
    if preview:
        return application, letter_facts(application), not application.result_published
    if not request.user.has_perm("projects.print_application", application):
        raise Http404
    letter = letter_for(application)
    if letter is None:
        raise Http404
    return application, letter, False


@login_required
def result_letter(request, pk):
    application, letter, preview = _letter(request, pk)
    return render(
        request,
        "evaluation/result_letter.html",
        {"application": application, "letter": letter, "preview": preview},
    )


@login_required
def result_letter_pdf(request, pk):
    """The same letter as a PDF (404 while no confirmed run tells the result)."""
    application, letter, _preview = _letter(request, pk)
    if letter is None:
        raise Http404
    return pdf_response(
        "evaluation/result_letter_pdf.html",
        {"application": application, "letter": letter, "issued_at": format_seoul(timezone.now())},
        request,
        f"result-{application.reference or application.pk}.pdf",
    )
