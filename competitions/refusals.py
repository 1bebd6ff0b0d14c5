"""Showing a refusal to the person who caused it: every domain function refuses with
TransitionRefused (its reasons), PermissionDenied or ValidationError (their messages); views
turn any of them into error messages on the page with this one function, or, when the page
shows a form, into errors beside its fields (``add_to_form``), the form keeping what was typed."""

from django.contrib import messages
from django.core.exceptions import ValidationError


def show_refusal(request, exc):
    if isinstance(exc, ValidationError):
        reasons = exc.messages
    else:
        reasons = getattr(exc, "reasons", None) or [str(exc)]
    for reason in reasons:
        messages.error(request, reason)


def add_to_form(form, exc):
    """A domain function's ValidationError as the form's errors: beside the field it names when
    the form has that field, above the form otherwise."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
