"""Forms of certification and the catalogue (labels translated; KRDS classes by the mixin)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, group_for
from competitions.models import Region, ServiceType, SmartService, SmartServiceArea, TechnologyField
from config.krds import KRDSFormMixin
from projects.models import Organisation

from .models import Certificate, CertificateState, CertificationKind, CertificationRound


class CatalogueFilterForm(KRDSFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    # An empty filter reads "All", not Django's "---------".
    area = forms.ModelChoiceField(
        SmartServiceArea.objects.all(), label=_("Area"), required=False, empty_label=_("All")
    )
    technology_field = forms.ModelChoiceField(
        TechnologyField.objects.all(), label=_("Technology field"), required=False, empty_label=_("All")
    )
    service_type = forms.ModelChoiceField(
        ServiceType.objects.all(), label=_("Service type"), required=False, empty_label=_("All")
    )
    region = forms.ModelChoiceField(
        Region.objects.all(), label=_("Region where deployed"), required=False, empty_label=_("All")
    )
    company = forms.CharField(label=_("Company"), required=False, max_length=100)
    valid_only = forms.BooleanField(label=_("Only services certified today"), required=False)


class CertificationApplicationForm(KRDSFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(Organisation.objects.none(), label=_("Applicant"))
    title = forms.CharField(label=_("Name of the service or city"), max_length=200)
    title_en = forms.CharField(label=_("Name in English"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea)
    description_en = forms.CharField(label=_("Description in English"), widget=forms.Textarea, required=False)
    menu_item = forms.ModelChoiceField(
        SmartService.objects.select_related("area"), label=_("Service on the menu board"), required=False
    )
    service_type = forms.ModelChoiceField(ServiceType.objects.all(), label=_("Service type"), required=False)
    technology_fields = forms.ModelMultipleChoiceField(
        TechnologyField.objects.all(),
        label=_("Technology fields"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    regions = forms.ModelMultipleChoiceField(
        Region.objects.all(),
        label=_("Regions where deployed"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    renews = forms.ModelChoiceField(
        Certificate.objects.none(), label=_("Certificate to renew"), required=False
    )
    evidence = forms.FileField(
        label=_("Evidence"), help_text=_("PDF, HWP, HWPX, DOCX or XLSX, at most 20 MB."), required=False
    )

    def __init__(self, *args, round, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(memberships__user=user).order_by(
            "name"
        )
        self.fields["renews"].queryset = Certificate.objects.filter(
            organisation__memberships__user=user, kind=round.kind
        ).exclude(state=CertificateState.REVOKED)
        if round.kind == CertificationKind.CITY:
            for name in ("menu_item", "service_type", "technology_fields"):
                del self.fields[name]


class AssessmentForm(KRDSFormMixin, forms.Form):
    """One number field per sub-category of the index, 0 to its maximum."""

    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea, required=False)

    def __init__(self, *args, index, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = []
        for category in index.categories.all():
            for item in category.items.all():
                self.fields[f"item_{item.pk}"] = forms.IntegerField(
                    label=f"{category.display_name} · {item.display_name} (0–{item.max_points})",
                    min_value=0,
                    max_value=item.max_points,
                )
                self.items.append(item)
        self.order_fields([f"item_{item.pk}" for item in self.items] + ["comment"])

    def points(self):
        return {item.pk: self.cleaned_data[f"item_{item.pk}"] for item in self.items}


class AssignAssessorsForm(KRDSFormMixin, forms.Form):
    assessors = forms.ModelMultipleChoiceField(
        queryset=None, label=_("Assessors"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessors"].queryset = group_for(Role.REVIEWER).user_set.order_by("email")


class CertificateChangeForm(KRDSFormMixin, forms.Form):
    transition = forms.ChoiceField(
        label=_("Change"),
        choices=[("suspend", _("Suspend")), ("reinstate", _("Reinstate")), ("revoke", _("Revoke"))],
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea, max_length=2000)


class ProjectLinkForm(KRDSFormMixin, forms.Form):
    project = forms.CharField(label=_("Pilot project code"), max_length=30)


class RoundForm(KRDSFormMixin, forms.ModelForm):
    class Meta:
        model = CertificationRound
        fields = ["kind", "name", "name_ko", "opens_at", "closes_at", "validity_years", "min_assessors"]
        widgets = {
            "opens_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "closes_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }
        help_texts = {"opens_at": _("Leave both empty for a round open all year.")}

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("Reception must close after it opens."))
        return data
