"""The analytics page's choice of scope: one call, or calls by the year their reception opened."""

from django import forms
from django.utils.translation import gettext_lazy as _

from competitions.models import Call
from config.krds import KRDSFormMixin

from .analytics import Scope

FIRST_YEAR, LAST_YEAR = 2000, 2100


class ScopeForm(KRDSFormMixin, forms.Form):
    call = forms.ModelChoiceField(
        label=_("Call"),
        queryset=Call.objects.select_related("programme").order_by("-opens_at", "slug"),
        to_field_name="slug",
        required=False,
        empty_label=_("All calls"),
    )
    year_from = forms.IntegerField(
        label=_("From the year"),
        required=False,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        help_text=_("Across calls: the calls whose reception opened in or after this year."),
    )
    year_to = forms.IntegerField(
        label=_("Until the year"),
        required=False,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        help_text=_("Across calls: the calls whose reception opened in or before this year."),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("year_from"), data.get("year_to")
        if start is not None and end is not None and start > end:
            self.add_error("year_to", _("The last year must not be before the first year."))
        if data.get("call") is not None and (start is not None or end is not None):
            self.add_error("call", _("Choose one call or a range of years, not both."))
        return data

    def scope(self):
        """The scope asked for; every call when the choice is not valid."""
        if not self.is_valid():
            return Scope()
        data = self.cleaned_data
        return Scope(call=data.get("call"), year_from=data.get("year_from"), year_to=data.get("year_to"))
