from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_ratelimit.decorators import ratelimit

from . import two_factor
from .consent import current_consent, needs_consent, record_consent
from .forms import (
    AccountForm,
    ConsentForm,
    EnrolmentCodeForm,
    LoginForm,
    ResetPasswordForm,
    SignupForm,
    TwoFactorCodeForm,
    TwoFactorResetForm,
)
from .models import User
from .roles import landing_page
from .throttling import password_reset_rate, password_reset_refused, signup_rate, signup_refused


class LoginView(auth_views.LoginView):
    """Log-in that lands each role on its own page (accounts.roles.landing_page), unless a safe
    ``next`` asks for another (Django's LoginView refuses an off-site one). A person who has not
    accepted the personal-data consent in force is asked to first."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm

    def get_default_redirect_url(self):
        return resolve_url(landing_page(self.request.user))

    def form_valid(self, form):
        response = super().form_valid(form)
        next_url = response.url
        if needs_consent(self.request.user):
            next_url = f"{reverse('accounts:consent')}?{_next_query(response.url)}"
        if two_factor.needs_second_step(self.request):
            # The password was right; the authenticator's code comes next (or its enrolment).
            return redirect(two_factor.second_step_url(self.request, next_url))
        return redirect(next_url)


def _next_query(url):
    from django.utils.http import urlencode

    return urlencode({"next": url})


def _safe_next(request, url):
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        return url
    return resolve_url(landing_page(request.user))


@login_required
def consent(request):
    """The consent in force, to tick before going on (a new version since the last log-in)."""
    text = needs_consent(request.user)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if text is None:
        return redirect(next_url)
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        record_consent(request.user, text, request)
        messages.success(request, _("Thank you: your consent is recorded."))
        return redirect(next_url)
    return render(request, "accounts/consent.html", {"form": form, "consent": text, "next": next_url})


# Every POST counts, valid or not: it bounds mass account creation and probing which e-mail
# addresses already have an account.
@ratelimit(key="ip", rate=signup_rate, method="POST", block=False)
def signup(request):
    if request.user.is_authenticated:
        return redirect(landing_page(request.user))
    if request.limited:
        return signup_refused(request)
    text = current_consent()
    form = SignupForm(request.POST or None, consent=text)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            if text is not None:
                record_consent(user, text, request)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to Gongmo. Register your organisation to apply to a call."))
        return redirect("projects:dashboard")
    return render(request, "accounts/signup.html", {"form": form, "consent": text})


@login_required
def account(request):
    """The signed-in person's own account: name and the language of their e-mails and letters.
    Saving a language also switches the pages to it (the language switcher's cookie)."""
    form = AccountForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        messages.success(request, _("Your account is saved."))
        response = redirect("accounts:account")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response
    return render(request, "accounts/account.html", {"form": form})


# Throttled like the log-in: per IP address and per e-mail address asked for, every POST
# counted, so nobody can flood a person's inbox or probe addresses in bulk.
@method_decorator(ratelimit(key="ip", rate=password_reset_rate, method="POST", block=False), name="post")
@method_decorator(
    ratelimit(key="post:email", rate=password_reset_rate, method="POST", block=False), name="post"
)
class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    form_class = ResetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request, *args, **kwargs):
        if getattr(request, "limited", False):
            return password_reset_refused(request)
        return super().post(request, *args, **kwargs)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# --- Two-factor log-in (accounts.two_factor) -----------------------------------------------


def _next(request):
    return _safe_next(request, request.POST.get("next") or request.GET.get("next"))


@never_cache
@login_required
def two_factor_verify(request):
    """The second step after the password: the authenticator's code or a recovery code."""
    user = request.user
    next_url = _next(request)
    if user.is_verified():
        return redirect(next_url)
    if not two_factor.has_two_factor(user):
        return redirect(two_factor.second_step_url(request, next_url))
    form = TwoFactorCodeForm(request.POST or None, check=lambda code: two_factor.verify_code(user, code))
    if request.method == "POST" and form.is_valid():
        two_factor.mark_verified(request, form.result)
        if isinstance(form.result, StaticDevice):
            left = two_factor.recovery_codes_left(user)
            messages.warning(
                request,
                ngettext(
                    "You used a recovery code: %(left)d is left. Make new ones on your two-factor page.",
                    "You used a recovery code: %(left)d are left. Make new ones on your two-factor page.",
                    left,
                )
                % {"left": left},
            )
        return redirect(next_url)
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": next_url})


@never_cache
@login_required
def two_factor_enrol(request):
    """Set up an authenticator: its secret (QR code and text) shown until confirmed with a code,
    then the recovery codes, shown once."""
    user = request.user
    next_url = _next(request)
    if two_factor.has_two_factor(user):
        if user.is_verified():
            return redirect("accounts:two_factor")
        return redirect(two_factor.second_step_url(request, next_url))
    device = None
    if request.method == "POST":
        device_id = request.session.get(two_factor.ENROLMENT_SESSION_KEY)
        confirmed = {}

        def check(code):
            confirmed["device"], codes = two_factor.confirm_enrolment(user, device_id, code)
            return codes

        form = EnrolmentCodeForm(request.POST, check=check)
        if form.is_valid():
            two_factor.mark_verified(request, confirmed["device"])
            request.session.pop(two_factor.ENROLMENT_SESSION_KEY, None)
            return render(
                request,
                "accounts/two_factor_recovery_codes.html",
                {"codes": form.result, "next": next_url, "first": True},
            )
        device = TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()
    else:
        form = EnrolmentCodeForm(check=None)
    if device is None:
        device = two_factor.start_enrolment(user)
        request.session[two_factor.ENROLMENT_SESSION_KEY] = device.pk
    context = {
        "form": form,
        "next": next_url,
        "secret": two_factor.secret_of(device),
        "qr": two_factor.qr_svg(device),
        "required": two_factor.requires_two_factor(user),
    }
    return render(request, "accounts/two_factor_enrol.html", context)


@never_cache
@login_required
def two_factor_settings(request):
    """The person's second factor: on or off, recovery codes left; turn it off (or start again)
    and make new recovery codes, each with a current code."""
    user = request.user
    enrolled = two_factor.has_two_factor(user)
    action = request.POST.get("action") if request.method == "POST" else None
    disable_form = TwoFactorCodeForm(
        request.POST if action == "disable" else None,
        check=lambda code: two_factor.disable(user, code),
        prefix="disable",
    )
    codes_form = TwoFactorCodeForm(
        request.POST if action == "codes" else None,
        check=lambda code: two_factor.new_recovery_codes(user, code),
        prefix="codes",
    )
    if enrolled and action == "disable" and disable_form.is_valid():
        if two_factor.requires_two_factor(user):
            messages.success(request, _("Your authenticator is removed. Set up the new one now."))
            return redirect("accounts:two_factor_enrol")
        messages.success(request, _("Two-factor log-in is turned off."))
        return redirect("accounts:two_factor")
    if enrolled and action == "codes" and codes_form.is_valid():
        return render(
            request,
            "accounts/two_factor_recovery_codes.html",
            {"codes": codes_form.result, "next": reverse("accounts:two_factor"), "first": False},
        )
    context = {
        "enrolled": enrolled,
        "required": two_factor.requires_two_factor(user),
        "codes_left": two_factor.recovery_codes_left(user) if enrolled else 0,
        "disable_form": disable_form,
        "codes_form": codes_form,
    }
    return render(request, "accounts/two_factor.html", context)


@never_cache
@login_required
def two_factor_reset(request, pk):
    """A superuser removes another person's second factor (a lost phone), with a reason that is
    logged; the person sets up a new authenticator at their next log-in."""
    if not request.user.is_superuser:
        raise PermissionDenied
    person = get_object_or_404(User, pk=pk)
    form = TwoFactorResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        two_factor.reset_by_superuser(person, by=request.user, reason=form.cleaned_data["reason"])
        messages.success(
            request,
            _("The second factor of %(email)s is removed; they set up a new one at their next log-in.")
            % {"email": person.email},
        )
        return redirect("admin:accounts_user_change", person.pk)
    context = {"form": form, "person": person, "enrolled": two_factor.has_two_factor(person)}
    return render(request, "accounts/two_factor_reset.html", context)
