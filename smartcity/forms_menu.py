"""The menu board's forms: a new package, a line to add or change, the application to attach to."""

from django import forms
from django.utils.translation import gettext_lazy as _

from competitions.formatting import format_krw
from config.krds import KRDSFormMixin

from .menu import MAX_MONTHS, MAX_QUANTITY
from .models import UnitCost


class PackageForm(KRDSFormMixin, forms.Form):
    organisation = forms.ModelChoiceField(queryset=None, label=_("Local government"), empty_label=None)
    name = forms.CharField(
        label=_("Package name"), max_length=200, help_text=_("For example: the smart water district of 2027.")
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, item):
        area = item.menu_item.area.display_name if item.menu_item_id else _("Other")
        return f"{area} · {item.display_name} · {format_krw(item.unit_cost)} / {item.display_unit}"


class QuantitiesMixin(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY)
    months = forms.IntegerField(
        label=_("Months"),
        min_value=1,
        max_value=MAX_MONTHS,
        required=False,
        help_text=_("Only for an item priced per month."),
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=500,
        help_text=_("Required once the package is attached to an application."),
    )


class LineForm(KRDSFormMixin, QuantitiesMixin):
    item = ItemChoiceField(queryset=UnitCost.objects.select_related("menu_item__area"), label=_("Menu item"))
    field_order = ["item", "quantity", "months", "reason"]


class ChangeLineForm(KRDSFormMixin, QuantitiesMixin):
    pass


class AttachForm(KRDSFormMixin, forms.Form):
    application = forms.ModelChoiceField(queryset=None, label=_("Draft application"), empty_label=None)

    def __init__(self, *args, applications, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = applications
        self.fields["application"].label_from_instance = lambda application: (
            f"{application.call.display_title} · {application.title}"
        )
