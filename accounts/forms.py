from django import forms
from django.contrib.auth.forms import BaseUserCreationForm
from django.utils.translation import gettext_lazy as _

from .models import User


class SignupForm(BaseUserCreationForm):
    """Sign-up by e-mail; the password passes the configured validators."""

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name"]

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this e-mail address already exists. Log in instead.")
            )
        return email


class AccountForm(forms.ModelForm):
    """What people change about themselves: their name and the language of what Gongmo sends
    them (e-mails, result letters). The e-mail address is the log-in and stays as it is."""

    class Meta:
        model = User
        fields = ["first_name", "last_name", "language"]
        widgets = {"language": forms.RadioSelect}
        help_texts = {"language": _("The language of the e-mails and result letters sent to you.")}
