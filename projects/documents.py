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


def for_reviewers(application, blind=False):
    """The application's current documents that its reviewers may open: only the kinds its call
    lets them open, never one that names the applicant in a blind call, or to reviewers of a
    blind stage (``blind``; Call.reviewer_may_open). The reviewer's page lists these and the
    download serves nothing else. Where the applicant is hidden, the file answering a question
    marked identifying is withheld too, whatever its kind."""
    documents = application.documents.filter(
        superseded=False, kind__in=sorted(application.call.reviewer_may_open(blind))
    )
    if blind or application.call.blind_review:
        documents = documents.exclude(answers__question__identifying=True)
    return documents


def store_document(application, *, kind, upload, file_format, by, answering=None):
    """Save ``upload`` (already validated) as the application's current document of ``kind``.

    The document it replaces is marked superseded and kept, never deleted or overwritten: for a
    file answering a call's question (``answering``: that Answer), the answer's previous file;
    for any other, the current document of ``kind`` that answers no question. Call it inside
    the caller's transaction. Returns the new Document."""
    from .models import Document

    if answering is None:
        application.documents.filter(kind=kind, superseded=False, answers__isnull=True).update(
            superseded=True
        )
    elif answering.document_id:
        Document.objects.filter(pk=answering.document_id).update(superseded=True)
    document = Document(
        application=application,
        kind=kind,
        original_name=safe_filename(upload.name),
        file_format=file_format,
        size=upload.size,
        uploaded_by=by,
    )
    document.file.save(document.original_name, upload, save=False)
    document.save()
    return document
