"""How the API answers a refusal: DRF's own errors as DRF gives them (in the caller's
language), and the domain's refusals (TransitionRefused, a Django ValidationError) as 409 and
400 with their reasons, never as a 500."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler

from .actions import REFUSALS, refusal


def handle(exc, context):
    # A refusal that escaped an action's DomainActions.perform answers as it would have there.
    if isinstance(exc, REFUSALS):
        return refusal(exc)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    return exception_handler(exc, context)
