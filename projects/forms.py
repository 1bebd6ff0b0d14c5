import datetime

from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from competitions.models import District, QuestionKind
from competitions.questions import NO, YES, clean_answer, form_value, questions_of
from config.krds import KRDSFormMixin, LongChoices, style_widgets

from .documents import MAX_DOCUMENT_BYTES, validate_document
from .identity import number_holder, verification_refusal
from .models import Application, ConsortiumMember, ConsortiumMemberState, FiscalYear, Organisation
from .models.application import DocumentKind
from .models.organisation import number_taken_message
from .registration_number import normalise_registration_number, validate_registration_number


class RegistrationNumberField(forms.CharField):
    """Accepts 123-45-67890 or 1234567890; stores the ten digits."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 12)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return normalise_registration_number(value) if value else value

    def validate(self, value):
        super().validate(value)
        if value:
            validate_registration_number(value)


class OrganisationForm(KRDSFormMixin, forms.ModelForm):
    """Registers an organisation, or edits what it declares. The registration number is given
    once, at registration: the edit form does not offer it and refuses it if posted (staff
    change it with a reason, projects.identity.change_registration_number)."""

    registration_number = RegistrationNumberField(
        label=_("Business registration number"), help_text=_("10 digits, e.g. 123-45-67890.")
    )

    class Meta:
        model = Organisation
        fields = Organisation.DECLARED_FIELDS
        labels = {"name": _("Organisation name")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = District.objects.select_related("region")
        if self.instance.pk:
            del self.fields["registration_number"]

    def clean_registration_number(self):
        number = self.cleaned_data["registration_number"]
        if number and number_holder(number) is not None:
            raise forms.ValidationError(number_taken_message())
        return number

    def clean(self):
        cleaned = super().clean()
        posted = self.data.get("registration_number") if self.is_bound else None
        if (
            self.instance.pk
            and posted not in (None, "")
            and normalise_registration_number(posted) != self.instance.registration_number
        ):
            self.add_error(
                None,
                _(
                    "The business registration number cannot be changed here. If it is wrong, ask the ministry to correct it."
                ),
            )
        if cleaned.get("kind") == "company" and not cleaned.get("industry"):
            self.add_error(
                "industry", _("A company must name its industry: the SME sales band depends on it.")
            )
        return cleaned


class FiscalYearForm(KRDSFormMixin, forms.ModelForm):
    class Meta:
        model = FiscalYear
        fields = ["year", "sales", "total_assets"]


FiscalYearFormSet = inlineformset_factory(
    Organisation, FiscalYear, form=FiscalYearForm, extra=3, max_num=3, validate_max=True, can_delete=False
)


class InviteMemberForm(KRDSFormMixin, forms.Form):
    email = forms.EmailField(
        label=_("E-mail address to invite"),
        help_text=_("The person becomes a member after accepting the invitation."),
    )


class ApplicationStartForm(KRDSFormMixin, forms.ModelForm):
    """The first step: who applies, in which track and field, with which title."""

    class Meta:
        model = Application
        fields = ["lead", "track", "service_field", "title"]

    def __init__(self, *args, call, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.call = call
        leads = Organisation.objects.filter(memberships__user=user)
        self.fields["lead"].queryset = leads
        if not self.is_bound and len(leads) == 1:
            self.initial["lead"] = leads[0].pk
        tracks = call.tracks.all()
        if not self.is_bound and len(tracks) == 1:
            self.initial["track"] = tracks[0].pk
        self.fields["track"].queryset = call.tracks.all()
        self.fields["service_field"].queryset = call.service_fields.all()
        self.fields["service_field"].required = call.service_fields.exists()
        if not self.fields["service_field"].required:
            del self.fields["service_field"]

    def clean_lead(self):
        lead = self.cleaned_data["lead"]
        refusal = verification_refusal(lead)
        if refusal:
            raise forms.ValidationError(refusal)
        return lead


class ApplicationForm(KRDSFormMixin, forms.ModelForm):
    """Edits a draft. ``version`` is the draft version the form was opened on."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Application
        fields = [
            "title",
            "summary",
            "track",
            "service_field",
            "test_bed_region",
            "test_bed_district",
            "smart_services",
            "technology_fields",
            "service_types",
            "requested_subsidy",
            "local_government",
            "private_cash",
            "private_in_kind",
        ]
        widgets = {
            # Some hundred options in all: each list in a collapsible box with a search box,
            # the smart-services menu in its areas (issue 20).
            "smart_services": LongChoices(group_by=lambda service: service.area.display_name),
            "technology_fields": LongChoices,
            "service_types": LongChoices,
            "summary": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        call = self.instance.call
        self.fields["track"].queryset = call.tracks.all()
        self.fields["service_field"].queryset = call.service_fields.all()
        self.fields["smart_services"].queryset = self.fields["smart_services"].queryset.select_related("area")
        self.fields["smart_services"].label_from_instance = lambda service: service.display_name
        self.fields["test_bed_district"].queryset = District.objects.select_related("region")
        if not self.is_bound:
            self.initial["version"] = self.instance.version
        for name in ["requested_subsidy", "local_government", "private_cash", "private_in_kind"]:
            self.fields[name].help_text = _("Whole won, without separators.")

    def changes(self):
        """The cleaned values to hand to projects.workflow.save_draft."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}


class ConsortiumMemberForm(KRDSFormMixin, forms.ModelForm):
    registration_number = RegistrationNumberField(
        label=_("Member's business registration number"),
        help_text=_("The member must be registered in Gongmo."),
    )

    class Meta:
        model = ConsortiumMember
        fields = ["budget_share_percent"]

    def __init__(self, *args, application, **kwargs):
        super().__init__(*args, **kwargs)
        self.application = application
        self.order_fields(["registration_number", "budget_share_percent"])

    def clean(self):
        cleaned = super().clean()
        number = cleaned.get("registration_number")
        if not number:
            return cleaned
        organisation = Organisation.objects.filter(registration_number=number).first()
        if organisation is None:
            self.add_error(
                "registration_number", _("No organisation with this number is registered in Gongmo.")
            )
        elif organisation.pk == self.application.lead_id:
            self.add_error("registration_number", _("The lead organisation is not also a consortium member."))
        elif self.application.consortium_members.live().filter(organisation=organisation).exists():
            self.add_error("registration_number", _("This organisation is already a member."))
        elif refusal := verification_refusal(organisation):
            self.add_error("registration_number", refusal)
        share = cleaned.get("budget_share_percent")
        if share is not None:
            taken = sum(
                m.budget_share_percent
                for m in self.application.consortium_members.live().exclude(
                    state=ConsortiumMemberState.DECLINED
                )
            )
            if taken + share >= 100:
                self.add_error(
                    "budget_share_percent",
                    _("The members' shares would reach %(total)s%%; the lead must keep a share.")
                    % {"total": taken + share},
                )
        # Proposed only: the organisation's own members accept or decline (projects.identity).
        self.instance.organisation = organisation
        self.instance.application = self.application
        self.instance.state = ConsortiumMemberState.PENDING
        return cleaned


class DocumentForm(KRDSFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind of document"), choices=DocumentKind.choices)
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Formatted per request, so that the hint follows the reader's language.
        self.fields["file"].help_text = gettext("PDF, HWP, HWPX, DOCX or XLSX, at most %(mb)d MB.") % {
            "mb": MAX_DOCUMENT_BYTES // (1024 * 1024)
        }


class DecisionForm(KRDSFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when rejecting: the applicant reads it."),
    )


class AnswersForm(KRDSFormMixin, forms.Form):
    """The call's own questions on the draft's form, in their sections. Every field is optional
    here (a draft may be incomplete: submission asks for the required answers); each answer is
    checked by its question's kind (competitions.questions.clean_answer), a file by its content
    (projects.documents.validate_document), each refusal beside its question.

    ``only``: the questions to show (questions or their codes), e.g. those a correction request
    names; the others, and sections left empty, are left out."""

    def __init__(self, *args, application, only=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.application = application
        self.sections = questions_of(application.call)
        if only is not None:
            only = {getattr(question, "code", question) for question in only}
            for section in self.sections:
                section.ordered_questions = [q for q in section.ordered_questions if q.code in only]
            self.sections = [section for section in self.sections if section.ordered_questions]
        answers = {answer.question_id: answer for answer in application.answers.select_related("document")}
        self.questions = {}
        for section in self.sections:
            section.field_names = []
            for question in section.ordered_questions:
                name = f"question-{question.pk}"
                answer = answers.get(question.pk)
                self.fields[name] = _answer_field(question, answer)
                self.questions[name] = question
                section.field_names.append(name)
                if answer is not None and question.kind != QuestionKind.FILE and not self.is_bound:
                    self.initial[name] = form_value(question, answer.value)
        style_widgets(self.fields.values())

    @property
    def has_questions(self):
        return bool(self.questions)

    @property
    def takes_files(self):
        return any(q.kind == QuestionKind.FILE for q in self.questions.values())

    def grouped(self):
        """[(section, [bound field, ...]), ...] for the template."""
        return [(section, [self[name] for name in section.field_names]) for section in self.sections]

    def clean(self):
        cleaned = super().clean()
        self.values, self.uploads = {}, {}
        for name, question in self.questions.items():
            if name not in cleaned:
                continue
            raw = cleaned[name]
            try:
                if question.kind == QuestionKind.FILE:
                    if raw:
                        self.uploads[question] = (raw, validate_document(raw, raw.name, size=raw.size))
                    continue
                self.values[question] = clean_answer(question, raw)
            except forms.ValidationError as error:
                self.add_error(name, error)
        return cleaned


class _AnyValue(forms.Field):
    """What the widget posted, as posted (a list for check boxes); the answer rules judge it."""


def _answer_field(question, answer):
    kind = question.kind
    hints = [question.display_help_text, question.bounds_text()]
    if question.required:
        hints.append(gettext("Required before you submit."))
    if kind == QuestionKind.FILE:
        hints.append(
            gettext(
                "PDF, HWP, HWPX, DOCX or XLSX, at most %(mb)d MB; a new file replaces the old one, which is kept."
            )
            % {"mb": MAX_DOCUMENT_BYTES // (1024 * 1024)}
        )
        if answer is not None and answer.document is not None:
            hints.append(gettext("Attached: %(name)s.") % {"name": answer.document.original_name})
    options = {
        "label": question.display_label,
        "required": False,
        "help_text": " ".join(h for h in hints if h),
    }
    choices = list(question.choice_labels().items())
    if kind == QuestionKind.LONG_TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), strip=False, **options)
    if kind in (QuestionKind.NUMBER, QuestionKind.AMOUNT):
        mode = "decimal" if kind == QuestionKind.NUMBER else "numeric"
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": mode}), **options)
    if kind == QuestionKind.DATE:
        return forms.CharField(widget=forms.DateInput(), **options)
    if kind == QuestionKind.SINGLE_CHOICE:
        return _AnyValue(widget=forms.RadioSelect(choices=choices), **options)
    if kind == QuestionKind.MULTIPLE_CHOICE:
        return _AnyValue(widget=forms.CheckboxSelectMultiple(choices=choices), **options)
    if kind == QuestionKind.YES_NO:
        return _AnyValue(widget=forms.RadioSelect(choices=[(YES, _("Yes")), (NO, _("No"))]), **options)
    if kind == QuestionKind.FILE:
        return forms.FileField(**options)
    return forms.CharField(strip=False, **options)


# --- Correction requests (projects.corrections) --------------------------------------------------


class CorrectionRequestForm(KRDSFormMixin, forms.Form):
    """Staff name exactly what to correct, say it in words, and give a deadline, entered in
    Asia/Seoul (stored UTC)."""

    documents = forms.MultipleChoiceField(
        label=_("Documents to correct"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The applicant may upload a new version of each kind chosen; the original is kept."),
    )
    funding_plan = forms.BooleanField(
        label=_("The funding plan"),
        required=False,
        help_text=_("The applicant may change the amounts; the plan as submitted is kept."),
    )
    answers = forms.MultipleChoiceField(
        label=_("Answers to correct"), required=False, widget=forms.CheckboxSelectMultiple
    )
    message = forms.CharField(
        label=_("What to correct, in words"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The applicant reads this in the e-mail and on the application page."),
    )
    deadline_date = forms.DateField(label=_("Deadline: date (Korea time)"), widget=forms.DateInput())
    deadline_time = forms.TimeField(
        label=_("Deadline: time (Korea time)"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        initial="18:00",
    )

    def __init__(self, *args, parts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].choices = [(p.target, p.label) for p in parts if p.kind == "document"]
        answers = [(p.target, p.label) for p in parts if p.kind == "answer"]
        if answers:
            self.fields["answers"].choices = answers
        else:
            del self.fields["answers"]

    def clean(self):
        from competitions.formatting import SEOUL

        cleaned = super().clean()
        day, time = cleaned.get("deadline_date"), cleaned.get("deadline_time")
        if day and time:
            cleaned["deadline"] = datetime.datetime.combine(day, time, tzinfo=SEOUL)
        parts = [("document", kind) for kind in cleaned.get("documents", [])]
        if cleaned.get("funding_plan"):
            parts.append(("funding_plan", ""))
        parts += [("answer", key) for key in cleaned.get("answers", [])]
        cleaned["parts"] = parts
        return cleaned


class FundingPlanCorrectionForm(KRDSFormMixin, forms.ModelForm):
    """The funding plan's four amounts, and nothing else, under a correction request."""

    class Meta:
        model = Application
        fields = ["requested_subsidy", "local_government", "private_cash", "private_in_kind"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.help_text = _("Whole won, without separators.")


class CorrectionDocumentForm(DocumentForm):
    """A new version of one of the document kinds a correction request names."""

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(DocumentKind.choices)
        self.fields["kind"].choices = [(kind, labels.get(kind, kind)) for kind in kinds]


# --- Performance indicators (projects.indicators) -------------------------------------------------


class IndicatorForm(KRDSFormMixin, forms.Form):
    """One proposed indicator: its name (in Korean, English or both), unit, baseline and a target
    for each project year the call asks for (``years``)."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name_ko = forms.CharField(label=_("Indicator (Korean)"), max_length=200, required=False)
    name = forms.CharField(label=_("Indicator (English)"), max_length=200, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=40, help_text=_("For example: persons, cases, %."))
    baseline = forms.DecimalField(label=_("Baseline"), max_digits=18, decimal_places=2)

    def __init__(self, *args, years=1, **kwargs):
        super().__init__(*args, **kwargs)
        self.years = range(1, years + 1)
        for year in self.years:
            self.fields[f"target_{year}"] = forms.DecimalField(
                label=_("Target, year %(year)s") % {"year": year}, max_digits=18, decimal_places=2
            )
        style_widgets(self.fields.values())

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("name") or "").strip() and not (cleaned.get("name_ko") or "").strip():
            self.add_error("name_ko", gettext("Name the indicator in Korean or English."))
        return cleaned

    def row(self):
        from .indicators import IndicatorRow

        data = self.cleaned_data
        return IndicatorRow(
            pk=data.get("id"),
            name=data.get("name", "").strip(),
            name_ko=data.get("name_ko", "").strip(),
            unit=data.get("unit", "").strip(),
            baseline=data.get("baseline"),
            targets={year: data[f"target_{year}"] for year in self.years if f"target_{year}" in data},
            remove=bool(data.get("DELETE")),
        )


def indicator_formset(application, data=None):
    """The draft's indicators as a formset, with room for new ones (at least two blank rows, or
    as many as the call still requires)."""
    from .indicators import current, settings_for

    settings = settings_for(application.call)
    indicators = list(current(application).prefetch_related("targets"))
    initial = []
    for indicator in indicators:
        row = {
            "id": indicator.pk,
            "name": indicator.name,
            "name_ko": indicator.name_ko,
            "unit": indicator.unit,
            "baseline": indicator.baseline,
        }
        row.update({f"target_{t.year}": t.target for t in indicator.targets.all()})
        initial.append(row)
    formset_class = forms.formset_factory(
        IndicatorForm,
        extra=max(2, settings.min_indicators - len(indicators)),
        can_delete=True,
        max_num=50,
    )
    formset = formset_class(
        data, initial=initial, prefix="indicators", form_kwargs={"years": max(1, settings.project_years)}
    )
    formset.settings = settings
    return formset


def indicator_rows(formset):
    """The rows to hand to projects.workflow.save_draft: every changed or removed form."""
    rows = []
    for form in formset.forms:
        if not form.has_changed() and not form.cleaned_data.get("id"):
            continue
        if form.cleaned_data.get("DELETE") and not form.cleaned_data.get("id"):
            continue
        rows.append(form.row())
    return rows


class ActualsForm(KRDSFormMixin, forms.Form):
    """A report's results: per indicator, the actual and its evidence (a document checked by
    content in projects.indicators.record_actuals). Rows left empty are not recorded."""

    def __init__(self, *args, indicators, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = list(indicators)
        for indicator in self.indicators:
            name = indicator.display_name
            self.fields[f"value_{indicator.pk}"] = forms.DecimalField(
                label=_("%(name)s: result (%(unit)s)") % {"name": name, "unit": indicator.unit},
                max_digits=18,
                decimal_places=2,
                required=False,
            )
            self.fields[f"evidence_{indicator.pk}"] = forms.FileField(
                label=_("%(name)s: evidence") % {"name": name}, required=False
            )
        style_widgets(self.fields.values())

    def rows(self):
        """[(indicator, bound value field, bound evidence field)] for the template."""
        return [(i, self[f"value_{i.pk}"], self[f"evidence_{i.pk}"]) for i in self.indicators]

    def clean(self):
        cleaned = super().clean()
        self.entries = []
        for indicator in self.indicators:
            value, evidence = cleaned.get(f"value_{indicator.pk}"), cleaned.get(f"evidence_{indicator.pk}")
            if value is None and not evidence:
                continue
            if value is None:
                self.add_error(f"value_{indicator.pk}", gettext("Enter the result this evidence shows."))
                continue
            if not evidence:
                self.add_error(f"evidence_{indicator.pk}", gettext("Attach the evidence for this result."))
                continue
            self.entries.append((indicator, value, evidence))
        if not self.errors and not self.entries:
            raise forms.ValidationError(gettext("Enter at least one indicator's result."))
        return cleaned
