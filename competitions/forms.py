"""Staff forms for a call's configuration: the application questions (competitions.questions)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from config.krds import KRDSFormMixin

from .models import Question, QuestionSection
from .questions import choices_text, parse_choices


class SectionForm(KRDSFormMixin, forms.ModelForm):
    class Meta:
        model = QuestionSection
        fields = ["title", "title_ko", "help_text", "help_text_ko", "position"]
        widgets = {
            "help_text": forms.Textarea(attrs={"rows": 2}),
            "help_text_ko": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, call, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.call = call
        self.fields["position"].required = False

    def _post_clean(self):
        if self.cleaned_data.get("position") is None:
            self.cleaned_data["position"] = self.instance.position or 0
        super()._post_clean()


class QuestionForm(KRDSFormMixin, forms.ModelForm):
    choices_text = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For a choice question: one choice a line, English | 한국어."),
    )

    class Meta:
        model = Question
        fields = [
            "section",
            "kind",
            "label",
            "label_ko",
            "help_text",
            "help_text_ko",
            "required",
            "identifying",
            "min_value",
            "max_value",
            "document_kind",
            "code",
            "position",
        ]
        widgets = {
            "help_text": forms.Textarea(attrs={"rows": 2}),
            "help_text_ko": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, call, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.call = call
        self.fields["section"].queryset = QuestionSection.objects.filter(call=call)
        self.fields["code"].required = False
        self.fields["code"].help_text = _(
            "Leave empty for q1, q2, …; eligibility rules name questions by it."
        )
        self.fields["position"].required = False
        if self.instance.pk and not self.is_bound:
            self.initial["choices_text"] = choices_text(self.instance.choices)
        self.order_fields(["section", "kind", "label", "label_ko", "choices_text"])

    def _post_clean(self):
        self.instance.choices = parse_choices(self.cleaned_data.get("choices_text", ""))
        if self.cleaned_data.get("position") is None:
            self.cleaned_data["position"] = self.instance.position or 0
        super()._post_clean()
