from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import gettext as _
from django_ratelimit.decorators import ratelimit

from .forms import AccountForm, SignupForm
from .roles import landing_page
from .throttling import signup_rate, signup_refused


class LoginView(auth_views.LoginView):
    """Log-in that lands each role on its own page (accounts.roles.landing_page), unless a safe
    ``next`` asks for another (Django's LoginView refuses an off-site one)."""

    template_name = "accounts/login.html"

    def get_default_redirect_url(self):
        return resolve_url(landing_page(self.request.user))


# Every POST counts, valid or not: it bounds mass account creation and probing which e-mail
# addresses already have an account.
@ratelimit(key="ip", rate=signup_rate, method="POST", block=False)
def signup(request):
    if request.user.is_authenticated:
        return redirect(landing_page(request.user))
    if request.limited:
        return signup_refused(request)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to Gongmo. Register your organisation to apply to a call."))
        return redirect("projects:dashboard")
    return render(request, "accounts/signup.html", {"form": form})


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
