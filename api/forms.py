from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.krds import KRDSFormMixin

from .models import Scope
from .tokens import LIFETIMES


def _lifetime(days):
    return gettext("%(days)d days") % {"days": days}


# Formatted when shown, in the reader's language (not once, at import, in whatever was active).
lifetime_label = lazy(_lifetime, str)


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
        choices=[(days, lifetime_label(days)) for days in LIFETIMES],
        initial=90,
    )
