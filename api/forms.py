from django import forms
from django.utils.translation import gettext_lazy as _

from config.krds import KRDSFormMixin

from .models import Scope
from .tokens import LIFETIMES


class TokenForm(KRDSFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("For example the program that will use the token.")
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=Scope.choices,
        initial=Scope.READ,
        widget=forms.RadioSelect,
        help_text=_("Read only, unless the program must change applications."),
    )
    days = forms.TypedChoiceField(
        label=_("Expires after"),
        coerce=int,
        choices=[(days, _("%(days)d days") % {"days": days}) for days in LIFETIMES],
        initial=90,
    )
