"""Forms of certification and the catalogue (labels translated; KRDS classes by the mixin)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from competitions.models import Region, ServiceType, SmartService, SmartServiceArea, TechnologyField
from config.krds import KRDSFormMixin
from projects.models import Organisation

from .models import Certificate, CertificateState, CertificationIndex, CertificationKind, CertificationRound


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
    """Reviewers of the pool (``candidates``, from certification_assessors.assessor_candidates);
    the page lists the conflicted ones marked, without a box to tick."""

    assessors = forms.TypedMultipleChoiceField(
        label=_("Assessors"), coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = candidates
        # A conflicted reviewer has no box on the page; one posted anyway is refused by
        # certification.assign_assessors with the reason, rather than as "not a valid choice".
        self.offered = {c.user.pk: c.user for c in candidates}
        self.fields["assessors"].choices = [(pk, str(user)) for pk, user in self.offered.items()]

    def clean_assessors(self):
        return [self.offered[pk] for pk in self.cleaned_data["assessors"]]


class CertificateChangeForm(KRDSFormMixin, forms.Form):
    transition = forms.ChoiceField(
        label=_("Change"),
        choices=[("suspend", _("Suspend")), ("reinstate", _("Reinstate")), ("revoke", _("Revoke"))],
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea, max_length=2000)


class ProjectLinkForm(KRDSFormMixin, forms.Form):
    project = forms.CharField(label=_("Pilot project code"), max_length=30)


class RoundForm(KRDSFormMixin, forms.ModelForm):
    """A new round; it is assessed against the index chosen among those of its kind (the
    latest of the kind when none is chosen)."""

    class Meta:
        model = CertificationRound
        fields = [
            "kind",
            "index",
            "name",
            "name_ko",
            "opens_at",
            "closes_at",
            "validity_years",
            "min_assessors",
        ]
        widgets = {
            "opens_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "closes_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }
        help_texts = {"opens_at": _("Leave both empty for a round open all year.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        index = self.fields["index"]
        index.queryset = CertificationIndex.objects.order_by("kind", "-pk")
        index.required = False
        index.empty_label = _("The latest index of this kind")
        index.label_from_instance = lambda i: f"{i.get_kind_display()} · {i.display_name}"
        index.help_text = _(
            "The index the round's applications are assessed against; it must be of the round's kind."
        )

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("Reception must close after it opens."))
        kind, index = data.get("kind"), data.get("index")
        if kind and index is not None and index.kind != kind:
            self.add_error("index", _("Choose an index of the round's kind."))
        elif kind and index is None:
            data["index"] = CertificationIndex.objects.filter(kind=kind).order_by("-pk").first()
            if data["index"] is None:
                self.add_error("index", _("No index of this kind exists yet."))
        return data


# --- The index as versions --------------------------------------------------------------------


class IndexForm(KRDSFormMixin, forms.Form):
    name = forms.CharField(label=_("Name (English)"), max_length=200)
    name_ko = forms.CharField(label=_("Name (Korean)"), max_length=200, required=False)
    overall_threshold = forms.IntegerField(label=_("Overall pass threshold (points)"), min_value=0)


class IndexCategoryForm(KRDSFormMixin, forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("Category name (English)"), max_length=200)
    name_ko = forms.CharField(label=_("Category name (Korean)"), max_length=200, required=False)
    pass_threshold = forms.IntegerField(label=_("Category pass threshold (points)"), min_value=0)


class IndexItemForm(KRDSFormMixin, forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("Sub-category name (English)"), max_length=200)
    name_ko = forms.CharField(label=_("Sub-category name (Korean)"), max_length=200, required=False)
    max_points = forms.IntegerField(label=_("Points"), min_value=0)
    remove = forms.BooleanField(label=_("Remove this sub-category"), required=False)


class NewIndexItemForm(KRDSFormMixin, forms.Form):
    """A sub-category to add to a category: left empty, nothing is added."""

    category = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("New sub-category's name (English)"), max_length=200, required=False)
    name_ko = forms.CharField(label=_("New sub-category's name (Korean)"), max_length=200, required=False)
    max_points = forms.IntegerField(label=_("New sub-category's points"), min_value=1, required=False)

    def clean(self):
        data = super().clean()
        if self.is_filled() and not (data.get("name") or "").strip():
            self.add_error("name", _("Give the new sub-category's name in English."))
        if self.is_filled() and data.get("max_points") is None and "max_points" not in self.errors:
            self.add_error("max_points", _("Give the new sub-category's points."))
        return data

    def is_filled(self):
        data = self.cleaned_data
        return bool((data.get("name") or "").strip() or (data.get("name_ko") or "").strip()) or (
            data.get("max_points") is not None or "max_points" in self.errors
        )


IndexCategoryFormSet = forms.formset_factory(IndexCategoryForm, extra=0)
IndexItemFormSet = forms.formset_factory(IndexItemForm, extra=0)
NewIndexItemFormSet = forms.formset_factory(NewIndexItemForm, extra=0)


class IndexEditForms:
    """The index's own form and its categories' and sub-categories' formsets, for an index
    with its parts prefetched (certification_versions.with_parts)."""

    def __init__(self, index, data=None):
        categories = list(index.categories.all())
        self.form = IndexForm(
            data,
            prefix="index",
            initial={
                "name": index.name,
                "name_ko": index.name_ko,
                "overall_threshold": index.overall_threshold,
            },
        )
        self.categories = IndexCategoryFormSet(
            data,
            prefix="categories",
            initial=[
                {"id": c.pk, "name": c.name, "name_ko": c.name_ko, "pass_threshold": c.pass_threshold}
                for c in categories
            ],
        )
        items = [(c, i) for c in categories for i in c.items.all()]
        self.items = IndexItemFormSet(
            data,
            prefix="items",
            initial=[
                {"id": i.pk, "name": i.name, "name_ko": i.name_ko, "max_points": i.max_points}
                for _c, i in items
            ],
        )
        # One empty sub-category a category, to add one.
        self.new_items = NewIndexItemFormSet(
            data, prefix="new", initial=[{"category": c.pk} for c in categories]
        )
        # The page shows each category's sub-categories under it, then the one to add.
        self.groups = [
            (
                category,
                form,
                [f for (c, _i), f in zip(items, self.items.forms, strict=False) if c.pk == category.pk],
                new,
            )
            for category, form, new in zip(
                categories, self.categories.forms, self.new_items.forms, strict=False
            )
        ]

    def is_valid(self):
        formsets = [self.form, self.categories, self.items, self.new_items]
        return all([form.is_valid() for form in formsets])

    def values(self):
        """What certification_versions.revise_index takes."""
        fields = ("name", "name_ko", "pass_threshold")
        return {
            **{key: self.form.cleaned_data[key] for key in ("name", "name_ko", "overall_threshold")},
            "categories": {
                f.cleaned_data["id"]: {k: f.cleaned_data[k] for k in fields}
                for f in self.categories
                if "id" in f.cleaned_data
            },
            "items": {
                f.cleaned_data["id"]: {
                    k: f.cleaned_data[k] for k in ("name", "name_ko", "max_points", "remove")
                }
                for f in self.items
                if "id" in f.cleaned_data
            },
            "new_items": self._new_items(),
        }

    def _new_items(self):
        added = {}
        for form in self.new_items:
            if "category" in form.cleaned_data and form.is_filled():
                values = {k: form.cleaned_data[k] for k in ("name", "name_ko", "max_points")}
                added.setdefault(form.cleaned_data["category"], []).append(values)
        return added
