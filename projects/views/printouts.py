"""Printed documents of an application as PDF: the receipt of its submission (접수증)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils import timezone

from competitions.formatting import format_seoul

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
