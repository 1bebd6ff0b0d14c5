from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_ratelimit.decorators import ratelimit

from .forms import SignupForm
from .throttling import signup_rate, signup_refused


# Every POST counts, valid or not: it bounds mass account creation and probing which e-mail
# addresses already have an account.
@ratelimit(key="ip", rate=signup_rate, method="POST", block=False)
def signup(request):
    if request.user.is_authenticated:
        return redirect("projects:dashboard")
    if request.limited:
        return signup_refused(request)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to Gongmo. Register your organisation to apply to a call."))
        return redirect("projects:dashboard")
    return render(request, "accounts/signup.html", {"form": form})
