"""The receipt of a submission (접수증): what the ministry received, from whom and when.

``receipt_for`` states the facts once; the PDF (templates/projects/receipt_pdf.html) prints them.
The documents listed are those the application held when it was submitted (of each kind, the
latest uploaded by then: a later upload, say after a correction request, does not change the
receipt), each with the SHA-256 of its stored bytes so that the applicant can show later
exactly which file was submitted.
"""

import hashlib
from dataclasses import dataclass

from django.utils.translation import gettext as _

from competitions.formatting import to_seoul

from .models.application import is_submitted

HASH_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ReceivedDocument:
    kind: str
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Receipt:
    application: object
    submitted_at_text: str  # Asia/Seoul, to the second
    documents: list


def seoul_to_the_second(value):
    """'2022-03-25 16:59:58 KST': a submission's time is judged to the second."""
    return _("%(datetime)s KST") % {"datetime": to_seoul(value).strftime("%Y-%m-%d %H:%M:%S")}


def file_sha256(field_file):
    digest = hashlib.sha256()
    with field_file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def documents_at_submission(application):
    """Of each kind, the latest document uploaded at or before the submission."""
    latest = {}
    for document in application.documents.filter(uploaded_at__lte=application.submitted_at).order_by(
        "uploaded_at", "pk"
    ):
        latest[document.kind] = document
    return sorted(latest.values(), key=lambda d: (d.kind, d.pk))


def receipt_for(application):
    """The receipt of a submitted application, or None for one never submitted."""
    if application.submitted_at is None or not is_submitted(application.state, application.submitted_at):
        return None
    return Receipt(
        application=application,
        submitted_at_text=seoul_to_the_second(application.submitted_at),
        documents=[
            ReceivedDocument(d.get_kind_display(), d.original_name, d.size, file_sha256(d.file))
            for d in documents_at_submission(application)
        ],
    )
