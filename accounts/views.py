from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_ratelimit.decorators import ratelimit

from .consent import current_consent, needs_consent, record_consent
from .forms import AccountForm, ConsentForm, LoginForm, ResetPasswordForm, SignupForm
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
        if needs_consent(self.request.user):
            return redirect(f"{reverse('accounts:consent')}?{_next_query(response.url)}")
        return response


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
