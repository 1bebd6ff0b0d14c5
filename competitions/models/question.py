"""A Call's own application questions, grouped in sections (DESIGN.md §2 "Application question").

Staff build them on the call's question page while the call is a draft; publishing the call
freezes them with the form (competitions.questions). The answers live in projects (Answer).
What an answer must be, kind by kind, is decided in competitions.questions.clean_answer.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from competitions.formatting import format_krw

from .call import Call
from .document_kind import DocumentKind
from .localized import pick_language


class QuestionKind(models.TextChoices):
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    NUMBER = "number", _("Number")
    AMOUNT = "amount", _("Amount in KRW")
    DATE = "date", _("Date")
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    YES_NO = "yes_no", _("Yes or no")
    FILE = "file", _("File")


# Kinds whose minimum and maximum are a length in characters, a value, or nothing.
LENGTH_KINDS = frozenset({QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT})
RANGE_KINDS = frozenset({QuestionKind.NUMBER, QuestionKind.AMOUNT})
CHOICE_KINDS = frozenset({QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE})
# The longest answer a text question takes whatever staff set: a line, and about ten pages.
TEXT_LIMITS = {QuestionKind.SHORT_TEXT: 300, QuestionKind.LONG_TEXT: 20_000}


class QuestionSection(models.Model):
    """A titled group of questions on the application form, in its call's order."""

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="question_sections", verbose_name=_("call")
    )
    title = models.CharField(_("title (English)"), max_length=200)
    title_ko = models.CharField(_("title (Korean)"), max_length=200, blank=True)
    help_text = models.TextField(_("help text (English)"), blank=True)
    help_text_ko = models.TextField(_("help text (Korean)"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["call", "position", "pk"]
        verbose_name = _("question section")
        verbose_name_plural = _("question sections")

    def __str__(self):
        return self.display_title

    @property
    def display_title(self):
        return pick_language(self.title, self.title_ko)

    @property
    def display_help_text(self):
        return pick_language(self.help_text, self.help_text_ko)


class Question(models.Model):
    """One item of a call's application form: its kind, labels, limits and whether it names the
    applicant (``identifying``: hidden from reviewers in a blind call)."""

    Kind = QuestionKind

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="questions", verbose_name=_("call"))
    section = models.ForeignKey(
        QuestionSection, on_delete=models.CASCADE, related_name="questions", verbose_name=_("section")
    )
    code = models.SlugField(
        _("code"),
        max_length=40,
        help_text=_("A short name that eligibility rules use, e.g. q3 or has-test-bed."),
    )
    kind = models.CharField(_("kind of answer"), max_length=20, choices=QuestionKind.choices)
    label = models.CharField(_("question (English)"), max_length=300)
    label_ko = models.CharField(_("question (Korean)"), max_length=300, blank=True)
    help_text = models.TextField(_("help text (English)"), blank=True)
    help_text_ko = models.TextField(_("help text (Korean)"), blank=True)
    required = models.BooleanField(_("required"), default=False, help_text=_("Needed to submit."))
    identifying = models.BooleanField(
        _("identifying"),
        default=False,
        help_text=_("The answer names the applicant: hidden from reviewers in a blind call."),
    )
    min_value = models.DecimalField(
        _("minimum"),
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Characters for a text, the value for a number or an amount."),
    )
    max_value = models.DecimalField(
        _("maximum"),
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Characters for a text, the value for a number or an amount."),
    )
    # [{"code": "1", "label": "…", "label_ko": "…"}, …] for the choice kinds.
    choices = models.JSONField(_("choices"), default=list, blank=True)
    document_kind = models.CharField(
        _("kind of document"), max_length=30, choices=DocumentKind.choices, blank=True
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["call", "section__position", "section_id", "position", "pk"]
        verbose_name = _("application question")
        verbose_name_plural = _("application questions")
        constraints = [models.UniqueConstraint(fields=["call", "code"], name="unique_question_code_in_call")]

    def __str__(self):
        return self.display_label

    @property
    def display_label(self):
        return pick_language(self.label, self.label_ko)

    @property
    def display_help_text(self):
        return pick_language(self.help_text, self.help_text_ko)

    def choice_labels(self):
        """{code: label in the active language} for a choice question, in order."""
        return {
            c["code"]: pick_language(c.get("label", ""), c.get("label_ko", "")) for c in self.choices or ()
        }

    def bounds_text(self):
        """The limits as the applicant reads them ("" when none)."""
        low, high = self.min_value, self.max_value
        if self.kind == QuestionKind.AMOUNT:
            low, high = (format_krw(int(v)) if v is not None else None for v in (low, high))
        elif low is not None or high is not None:
            low, high = (_plain(v) if v is not None else None for v in (low, high))
        if self.kind in LENGTH_KINDS:
            high = high or _plain(Decimal(TEXT_LIMITS[self.kind]))
            if low:
                return _("%(min)s to %(max)s characters.") % {"min": low, "max": high}
            return _("At most %(max)s characters.") % {"max": high}
        if low is not None and high is not None:
            return _("From %(min)s to %(max)s.") % {"min": low, "max": high}
        if low is not None:
            return _("At least %(min)s.") % {"min": low}
        if high is not None:
            return _("At most %(max)s.") % {"max": high}
        return ""

    def clean(self):
        errors = {}
        if self.section_id and self.call_id and self.section.call_id != self.call_id:
            errors["section"] = _("The section must belong to the same call.")
        low, high = self.min_value, self.max_value
        if self.kind in LENGTH_KINDS | RANGE_KINDS:
            whole = self.kind != QuestionKind.NUMBER
            for name, value in (("min_value", low), ("max_value", high)):
                if value is None:
                    continue
                if whole and value != value.to_integral_value():
                    errors[name] = _("Use a whole number.")
                elif value < 0 and self.kind != QuestionKind.NUMBER:
                    errors[name] = _("Use a number of at least 0.")
            if self.kind in LENGTH_KINDS and high is not None and high > TEXT_LIMITS[self.kind]:
                errors["max_value"] = _("A %(kind)s answer takes at most %(limit)s characters.") % {
                    "kind": self.get_kind_display().lower(),
                    "limit": TEXT_LIMITS[self.kind],
                }
            if low is not None and high is not None and low > high:
                errors["min_value"] = _("The minimum (%(min)s) cannot exceed the maximum (%(max)s).") % {
                    "min": _plain(low),
                    "max": _plain(high),
                }
        elif low is not None or high is not None:
            errors["min_value" if low is not None else "max_value"] = _(
                "A question of this kind takes no minimum or maximum."
            )
        if self.kind in CHOICE_KINDS:
            error = _choices_error(self.choices)
            if error:
                errors["choices"] = error
        elif self.choices:
            errors["choices"] = _("Only a choice question has choices.")
        if self.kind == QuestionKind.FILE and not self.document_kind:
            errors["document_kind"] = _("Choose the kind of document the file is.")
        elif self.kind != QuestionKind.FILE and self.document_kind:
            errors["document_kind"] = _("Only a file question has a kind of document.")
        if errors:
            raise ValidationError(errors)


def _plain(value):
    """A Decimal without trailing zeros: 10.00 -> '10', 2.50 -> '2.5'."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _choices_error(choices):
    if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
        return _("Give the choices as a list.")
    if len(choices) < 2:
        return _("A choice question needs at least two choices.")
    codes = [c.get("code") for c in choices]
    if any(not isinstance(code, str) or not code for code in codes) or len(set(codes)) != len(codes):
        return _("Each choice needs its own code.")
    if any(not str(c.get("label", "")).strip() for c in choices):
        return _("Each choice needs a label.")
    return None
