"""The bench's URLconf (tests/bench/submit.py): the site's, plus the floor a submission is
compared with. It exists only here, never in config.urls."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from config import urls as site_urls
from projects.models import OutboxMessage


@login_required
@require_POST
def floor(request):
    """The floor: a logged-in bare POST that writes one row (through the same middleware as
    every page: session, user, roles, CSRF)."""
    OutboxMessage.objects.create(to=request.user.email, subject="floor", body="")
    return HttpResponse(status=204)


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *site_urls.urlpatterns]
