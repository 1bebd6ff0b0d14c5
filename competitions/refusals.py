"""Showing a refusal to the person who caused it: every domain function refuses with
TransitionRefused (its reasons), PermissionDenied or ValidationError (their messages); views
turn any of them into error messages on the page with this one function."""

from django.contrib import messages
from django.core.exceptions import ValidationError


def show_refusal(request, exc):
    if isinstance(exc, ValidationError):
        reasons = exc.messages
    else:
        reasons = getattr(exc, "reasons", None) or [str(exc)]
    for reason in reasons:
        messages.error(request, reason)
