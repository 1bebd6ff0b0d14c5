from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from config.krds import KRDSFormMixin

from .documents import MAX_DOCUMENT_BYTES
from .models import Application, ConsortiumMember, FiscalYear, Organisation
from .models.application import DocumentKind
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
    registration_number = RegistrationNumberField(
        label=_("Business registration number"), help_text=_("10 digits, e.g. 123-45-67890.")
    )

    class Meta:
        model = Organisation
        fields = Organisation.DECLARED_FIELDS

    def clean(self):
        cleaned = super().clean()
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


class AddMemberForm(KRDSFormMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail of a registered user"))

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise forms.ValidationError(
                _("No account uses this e-mail address; ask the person to sign up first.")
            )
        self.user = user
        return email


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
            "smart_services",
            "technology_fields",
            "service_types",
            "requested_subsidy",
            "local_government",
            "private_cash",
            "private_in_kind",
        ]
        widgets = {
            "smart_services": forms.CheckboxSelectMultiple,
            "technology_fields": forms.CheckboxSelectMultiple,
            "service_types": forms.CheckboxSelectMultiple,
            "summary": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        call = self.instance.call
        self.fields["track"].queryset = call.tracks.all()
        self.fields["service_field"].queryset = call.service_fields.all()
        self.fields["smart_services"].queryset = self.fields["smart_services"].queryset.select_related("area")
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
        elif self.application.consortium_members.filter(organisation=organisation).exists():
            self.add_error("registration_number", _("This organisation is already a member."))
        share = cleaned.get("budget_share_percent")
        if share is not None:
            taken = sum(m.budget_share_percent for m in self.application.consortium_members.all())
            if taken + share >= 100:
                self.add_error(
                    "budget_share_percent",
                    _("The members' shares would reach %(total)s%%; the lead must keep a share.")
                    % {"total": taken + share},
                )
        self.instance.organisation = organisation
        self.instance.application = self.application
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
