"""The notice page's forms: they only read and shape what was typed; the rules (and the limits
they state) are competitions.notices'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from config.krds import KRDSFormMixin

from .formatting import SEOUL
from .models import CallDocumentKind
from .notices import MAX_ANSWER_CHARS, MAX_QUESTION_CHARS, MAX_REASON_CHARS


class InquiryForm(KRDSFormMixin, forms.Form):
    text = forms.CharField(
        label=_("Your question"),
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_QUESTION_CHARS}),
        help_text=_("At most 2,000 characters. The answer is published on this page without your name."),
        strip=True,
        max_length=MAX_QUESTION_CHARS,
        error_messages={"required": _("Write your question.")},
    )


class InquiryAnswerForm(KRDSFormMixin, forms.Form):
    answer = forms.CharField(
        label=_("Answer"),
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_ANSWER_CHARS}),
        help_text=_("Published on the call's page; the person who asked is told by e-mail."),
        max_length=MAX_ANSWER_CHARS,
        error_messages={"required": _("Write the answer.")},
    )


class DocumentForm(KRDSFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind of document"), choices=CallDocumentKind.choices)
    title_ko = forms.CharField(label=_("Title (Korean)"), max_length=200, required=False)
    title = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, HWP, HWPX, DOCX or XLSX, at most 20 MB."),
        error_messages={"required": _("Choose a file to upload.")},
    )


class ReplaceDocumentForm(DocumentForm):
    reason = forms.CharField(
        label=_("Why it is replaced"),
        max_length=MAX_REASON_CHARS,
        error_messages={"required": _("Say why the document is replaced.")},
    )


class WithdrawDocumentForm(KRDSFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why it is withdrawn"),
        max_length=MAX_REASON_CHARS,
        error_messages={"required": _("Say why the document is withdrawn.")},
    )


class NoticeForm(KRDSFormMixin, forms.Form):
    title_ko = forms.CharField(label=_("Title (Korean)"), max_length=200, required=False)
    title = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    body_ko = forms.CharField(
        label=_("Text (Korean)"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    body = forms.CharField(
        label=_("Text (English)"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )


class NoticeEditForm(NoticeForm):
    reason = forms.CharField(
        label=_("Why it is edited"),
        max_length=MAX_REASON_CHARS,
        error_messages={"required": _("Say why the notice is edited.")},
    )


class ContactForm(KRDSFormMixin, forms.Form):
    department_ko = forms.CharField(label=_("Department (Korean)"), max_length=200, required=False)
    department = forms.CharField(label=_("Department (English)"), max_length=200, required=False)
    person = forms.CharField(label=_("Person"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)


class ExtendDeadlineForm(KRDSFormMixin, forms.Form):
    closes_at = forms.DateTimeField(
        label=_("New deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
        help_text=_("Korea Standard Time. Later than the current deadline: a deadline is never shortened."),
        error_messages={
            "required": _("Give the new deadline as a date and time (Korea Standard Time)."),
            "invalid": _("Give the new deadline as a date and time (Korea Standard Time)."),
        },
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_REASON_CHARS,
        help_text=_("Everyone with a draft or a submission in this call receives it with the new deadline."),
        error_messages={"required": _("Say why the deadline is extended; everyone who applied reads it.")},
    )

    def clean_closes_at(self):
        value = self.cleaned_data["closes_at"]
        # Typed in Korea Standard Time whatever the server's zone.
        return value.replace(tzinfo=None).replace(tzinfo=SEOUL) if value else value
