"""The site's URLs plus views that fail on purpose, for tests/test_error_pages.py (the error
handlers are taken from the root URLconf, so they come along with the star import)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import OperationalError
from django.urls import path

from config.urls import *  # noqa: F403
from config.urls import urlpatterns as site_urlpatterns


def refuse(request):
    raise PermissionDenied


def suspicious(request):
    raise SuspiciousOperation("a malformed request")


def database_down(request):
    raise OperationalError("could not connect to server")


urlpatterns = [
    *site_urlpatterns,
    path("test-errors/forbidden/", refuse),
    path("test-errors/bad/", suspicious),
    path("test-errors/boom/", database_down),
]
