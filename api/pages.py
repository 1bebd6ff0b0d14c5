"""The account's personal access tokens page: make one (shown once), list them, revoke one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from competitions.refusals import add_to_form

from . import tokens
from .forms import TokenForm
from .models import PersonalAccessToken


@never_cache
@login_required
def token_list(request):
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = tokens.create_token(request.user, **form.cleaned_data, request=request)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            # Shown once, on this response only: the database keeps its hash.
            created = {"token": token, "raw": raw}
            form = TokenForm()
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": PersonalAccessToken.objects.filter(user=request.user),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(PersonalAccessToken, pk=pk, user=request.user)
    tokens.revoke_token(token, by=request.user, request=request)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api_tokens")
