"""The kinds of document an application carries, and which of them name the applicant.

They live here, below projects (which stores the documents), because each call says which
kinds its reviewers may open (``Call.reviewer_document_kinds``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    PROPOSAL = "proposal", _("Proposal")
    BUSINESS_REGISTRATION = "business_registration", _("Business registration certificate")
    FINANCIAL_STATEMENTS = "financial_statements", _("Financial statements")
    CONSORTIUM_AGREEMENT = "consortium_agreement", _("Consortium agreement")
    OTHER = "other", _("Other attachment")


# Kinds that name the applicant by their nature, whatever the applicant writes: the business
# registration certificate (the company's name, number and representative), the financial
# statements (the company's name on every statement and the external auditor's report) and the
# consortium agreement (every member and its signatories). A blind call never hands them to
# reviewers. The proposal and other attachments are written for the evaluation, under the
# call's instructions to write them blind; staff choose whether reviewers open them.
IDENTIFYING_DOCUMENT_KINDS = frozenset(
    {
        DocumentKind.BUSINESS_REGISTRATION,
        DocumentKind.FINANCIAL_STATEMENTS,
        DocumentKind.CONSORTIUM_AGREEMENT,
    }
)


def default_reviewer_document_kinds():
    """What reviewers open unless staff choose otherwise: what they score, not the evidence of
    eligibility (which staff check)."""
    return [DocumentKind.PROPOSAL.value, DocumentKind.OTHER.value]
