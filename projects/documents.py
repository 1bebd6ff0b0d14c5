"""Submitted documents: which of an application's documents its reviewers may open.

Every upload is checked by content in one place, ``competitions.files`` (the application's
documents here, and a call's announcement and forms); its names are re-exported here for the
callers that know them from this module.
"""

from competitions.files import (  # noqa: F401 - re-exported
    MAX_DOCUMENT_BYTES,
    MAX_FILENAME_BYTES,
    MAX_FILENAME_CHARS,
    DocumentFormat,
    detect_format,
    safe_filename,
    validate_document,
)


def for_reviewers(application):
    """The application's current documents that its reviewers may open: only the kinds its call
    lets them open, never one that names the applicant in a blind call (Call.reviewer_may_open).
    The reviewer's page lists these and the download serves nothing else."""
    return application.documents.filter(
        superseded=False, kind__in=sorted(application.call.reviewer_may_open())
    )
