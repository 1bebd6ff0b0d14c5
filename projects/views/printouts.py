"""Printed documents of an application as PDF: the receipt of its submission (접수증)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from competitions.formatting import format_seoul

from .. import indicators, parties
from ..ledger_figures import budget_figures
from ..matching import committed_shares
from ..models import FundingShare, Project
from ..pdf import pdf_response
from ..receipts import receipt_for
from .applications import application_for


@login_required
def application_receipt(request, pk):
    """The receipt PDF: the lead organisation's people, staff and auditors; 404 for anyone else
    and for an application never submitted."""
    application = application_for(request.user, pk, "projects.print_application")
    receipt = receipt_for(application)
    if receipt is None:
        raise Http404
    return pdf_response(
        "projects/receipt_pdf.html",
        {"application": application, "receipt": receipt, "issued_at": format_seoul(timezone.now())},
        request,
        f"receipt-{application.reference}.pdf",
    )


@login_required
def agreement_summary(request, pk):
    """The agreement summary PDF, in the reader's language: parties, years with their amounts
    and budget plan by category, the shares of the funding plan, the indicators' targets. The
    parties' people, staff and auditors; 404 for anyone else (nothing told of the project)."""
    project = get_object_or_404(
        Project.objects.select_related("award__application__call__programme", "award__application__lead"),
        pk=pk,
    )
    if not request.user.has_perm("projects.print_agreement", project):
        raise Http404
    award = project.award
    committed = committed_shares(award)
    shares = [(label, committed[share]) for share, label in FundingShare.choices]
    indicator_years, indicator_lines = indicators.project_table(project)
    return pdf_response(
        "projects/agreement_summary_pdf.html",
        {
            "project": project,
            "application": award.application,
            "parties": [p for p in parties.parties_of(project) if p.state == "active"],
            "years": budget_figures([project.pk])[project.pk].years,
            "shares": shares,
            "total_cost": award.total_cost,
            "indicator_years": indicator_years,
            "indicator_lines": indicator_lines,
            "issued_at": format_seoul(timezone.now()),
        },
        request,
        f"agreement-{project.code}.pdf",
    )
