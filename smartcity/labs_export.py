"""A living lab's results as CSV and XLSX files (its managers and staff): per phase and service
the feedback given, the average rating and how many gave each rating; the survey per phase and
question; the comments and the survey's written answers. No one is named and no personal data
is written: the tables are smartcity.living_labs' anonymous results.

Text cells go through config.safe_cells (never a formula); numbers stay numbers. The download
is recorded in the access log and sent ``no-store`` by the middlewares that handle every
response carrying a Content-Disposition (audit.access, config.security_headers)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from config.safe_cells import safe_text

from . import living_labs
from .models import LabPhase, QuestionKind
from .models.living_lab import FEEDBACK_PHASES
from .spreadsheets import csv_bytes, xlsx_bytes


def _ratings_header():
    return [_("Rated %(rating)s") % {"rating": rating} for rating in living_labs.RATINGS]


def tables(lab):
    """The export's tables: (title, header, rows), the same for both files. Five queries."""
    phases = living_labs.results(lab)
    survey = living_labs.survey_results(lab)
    feedback = [
        [
            safe_text(phase.label),
            safe_text(result.service.display_name),
            result.count,
            result.average,
            *result.distribution.values(),
        ]
        for phase in phases
        for result in phase.services
    ]
    questions = [
        [
            safe_text(LabPhase(phase).label),
            safe_text(result.question.display_text),
            safe_text(QuestionKind(result.question.kind).label),
            result.count,
            result.average,
            *(result.distribution.values() if result.question.kind == QuestionKind.RATING else [None] * 5),
        ]
        for phase in FEEDBACK_PHASES
        for result in survey[phase]
    ]
    written = [
        [
            safe_text(LabPhase(row.phase).label),
            safe_text(row.service.display_name),
            row.rating,
            safe_text(row.comment),
        ]
        for row in living_labs.all_comments(lab)
    ] + [
        [safe_text(LabPhase(phase).label), safe_text(result.question.display_text), None, safe_text(text)]
        for phase in FEEDBACK_PHASES
        for result in survey[phase]
        for text in result.texts
    ]
    return [
        (
            _("Feedback per phase and service"),
            [_("Phase"), _("Service"), _("Feedback given"), _("Average rating"), *_ratings_header()],
            feedback,
        ),
        (
            _("Survey results"),
            [
                _("Phase"),
                _("Question"),
                _("Kind of answer"),
                _("Answers given"),
                _("Average rating"),
                *_ratings_header(),
            ],
            questions,
        ),
        (
            _("Comments and written answers"),
            [_("Phase"), _("Service or question"), _("Rating"), _("Comment or answer")],
            written,
        ),
    ]


def filename(lab, extension):
    return f"living-lab-{lab.pk}-results-{timezone.localdate().isoformat()}.{extension}"


def _lines(header, rows):
    return [[str(text) for text in header], *rows]


def as_csv(lab):
    """The tables one after the other, each under its title, a blank line between them."""
    lines = []
    for number, (title, header, rows) in enumerate(tables(lab)):
        lines += ([[]] if number else []) + [[title]] + _lines(header, rows)
    return csv_bytes(lines)


def as_xlsx(lab):
    """One sheet a table."""
    return xlsx_bytes((title, _lines(header, rows)) for title, header, rows in tables(lab))
