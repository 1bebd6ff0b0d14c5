from django import forms
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm, PasswordResetForm
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import User

CONSENT_REQUIRED = _("Tick the consent to the collection and use of personal data to go on.")


def consent_field():
    return forms.BooleanField(
        label=_("I agree to the collection and use of my personal data as stated above."),
        required=True,
        error_messages={"required": CONSENT_REQUIRED},
    )


class LoginForm(AuthenticationForm):
    """Django's log-in form with its refusal worded for people: its Korean catalogue leaves the
    particle after the field's name unresolved ('이메일 주소와/과 비밀번호')."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The e-mail address or the password is not correct. Both are case-sensitive: check "
            "that Caps Lock is off."
        ),
    }


class SignupForm(BaseUserCreationForm):
    """Sign-up by e-mail; the password passes the configured validators; the personal-data
    consent in force (``consent``, a ConsentText or None) must be ticked."""

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "name_en"]

    def __init__(self, *args, consent=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.consent = consent
        if consent is not None:
            self.fields["consent"] = consent_field()

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
        fields = ["first_name", "last_name", "name_en", "language"]
        widgets = {"language": forms.RadioSelect}
        help_texts = {"language": _("The language of the e-mails and result letters sent to you.")}


class ConsentForm(forms.Form):
    """Accept a new version of the personal-data consent (asked at log-in)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"] = consent_field()


class ResetPasswordForm(PasswordResetForm):
    """Django's reset form, the e-mail in the person's own language.

    Sent with Django's mail at once, not through the outbox: the message holds a one-time log-in
    link, and outbox rows are readable by staff in the admin (docs/security.md)."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        with translation.override(context["user"].language):
            subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
            body = loader.render_to_string(email_template_name, context)
        EmailMultiAlternatives(subject, body, from_email, [to_email]).send()


class TwoFactorCodeForm(forms.Form):
    """One code: the authenticator app's six digits or (where allowed) a recovery code. ``check``
    is the function that tries it (accounts.two_factor) and returns a device, codes or True."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The six digits your authenticator app shows now, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text"}),
    )
    error_message = _(
        "This code is not correct, or it was already used or has expired. Enter the code your "
        "authenticator app shows now; after several wrong codes, wait a minute before trying again."
    )

    def __init__(self, *args, check, **kwargs):
        super().__init__(*args, **kwargs)
        self.check = check
        self.result = None

    def clean_code(self):
        code = self.cleaned_data["code"]
        self.result = self.check(code)
        if not self.result:
            raise forms.ValidationError(self.error_message)
        return code


class EnrolmentCodeForm(TwoFactorCodeForm):
    """Confirming a new authenticator: only the app's code will do."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = _("The six digits your authenticator app shows now for Gongmo.")
        self.fields["code"].widget.attrs["inputmode"] = "numeric"


class TwoFactorResetForm(forms.Form):
    """A superuser's reason for removing someone's second factor (logged)."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("Why the second factor is removed, e.g. a lost phone (kept in the account's history)."),
    )
