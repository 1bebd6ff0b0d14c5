"""The living labs' forms: joining with consent, feedback, the next phase, a manager, withdrawal."""

from django import forms
from django.utils.translation import gettext_lazy as _

from config.krds import KRDSFormMixin

from .living_labs import RATINGS, projects_that_may_open_a_lab
from .models import AgeBand, LabService, QuestionKind
from .models.living_lab import FEEDBACK_PHASES


class JoinForm(KRDSFormMixin, forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=100)
    contact = forms.CharField(
        label=_("Contact (phone or e-mail)"), max_length=200, help_text=_("Only the lab's managers see it.")
    )
    age_band = forms.ChoiceField(label=_("Age band"), choices=AgeBand.choices)
    consent = forms.BooleanField(
        label=_("I agree to the collection and use of my personal data as set out above."), required=False
    )


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, service):
        return service.display_name


class FeedbackForm(KRDSFormMixin, forms.Form):
    service = ServiceChoiceField(queryset=LabService.objects.none(), label=_("Service"), empty_label=None)
    rating = forms.TypedChoiceField(
        label=_("Rating (1 = poor, 5 = very good)"),
        choices=[(rating, str(rating)) for rating in RATINGS],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea)

    def __init__(self, *args, lab, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = lab.services.order_by("position", "pk")


class PhaseForm(KRDSFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for the change"), max_length=500)


class ManagerForm(KRDSFormMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail address of the manager"))


class WithdrawForm(KRDSFormMixin, forms.Form):
    reason = forms.CharField(label=_("Why you withdraw (optional)"), required=False, max_length=500)


class ProjectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, project):
        return f"{project.code} · {project.award.application.title}"


class LabForm(KRDSFormMixin, forms.Form):
    project = ProjectChoiceField(
        queryset=None,
        label=_("Project"),
        empty_label=None,
        help_text=_("Only projects funded on a citizen-led living-lab track, without a lab yet."),
    )
    name = forms.CharField(label=_("Name of the living lab"), max_length=200)
    name_en = forms.CharField(label=_("Name in English"), max_length=200, required=False)
    description = forms.CharField(label=_("What citizens will test"), widget=forms.Textarea)
    description_en = forms.CharField(label=_("Description in English"), widget=forms.Textarea, required=False)
    services = forms.CharField(
        label=_("Services tested"),
        widget=forms.Textarea,
        help_text=_("One service a line; its English name after a vertical bar (|) if you have one."),
    )
    consent_version = forms.CharField(label=_("Consent version"), max_length=20)
    consent_text = forms.CharField(
        label=_("Consent to the collection and use of personal data"), widget=forms.Textarea
    )
    consent_text_en = forms.CharField(
        label=_("Consent text in English"), widget=forms.Textarea, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects_that_may_open_a_lab().order_by("code")

    def clean_services(self):
        services = []
        for line in self.cleaned_data["services"].splitlines():
            name, _bar, english = line.partition("|")
            if name.strip():
                services.append((name.strip(), english.strip(), None))
        if not services:
            raise forms.ValidationError(_("Name at least one service the lab tests."))
        return services


class QuestionForm(KRDSFormMixin, forms.Form):
    phase = forms.ChoiceField(label=_("Phase"), choices=[(p.value, p.label) for p in FEEDBACK_PHASES])
    kind = forms.ChoiceField(label=_("Kind of answer"), choices=QuestionKind.choices)
    text = forms.CharField(label=_("Question"), max_length=300)
    text_en = forms.CharField(label=_("Question in English"), max_length=300, required=False)


class SurveyForm(KRDSFormMixin, forms.Form):
    """The current phase's questions, each optional (one answers what one wishes)."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = {}
        for question in questions:
            name = f"q{question.pk}"
            self.questions[name] = question
            if question.kind == QuestionKind.RATING:
                self.fields[name] = forms.TypedChoiceField(
                    label=question.display_text,
                    choices=[(rating, str(rating)) for rating in RATINGS],
                    coerce=int,
                    empty_value=None,
                    required=False,
                    widget=forms.RadioSelect,
                )
            else:
                self.fields[name] = forms.CharField(
                    label=question.display_text, max_length=1000, required=False, widget=forms.Textarea
                )

    def answers(self):
        return {question: self.cleaned_data.get(name) for name, question in self.questions.items()}
