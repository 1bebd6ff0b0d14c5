"""One home for what every API action does: shape the input, call the domain function the
pages call, and answer — the result serialized, or 409 with the domain's reasons in the
caller's language when it refuses (a refused transition, an edit conflict, an impossible
assignment), or 400 with the errors by field when a Django ValidationError says the input is
bad. Nothing is changed on a refusal: the domain functions refuse before they write."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from competitions.lifecycle import TransitionRefused
from competitions.models import Call
from evaluation.assignment import AssignmentImpossible
from projects.workflow import EditConflict

# What a domain function raises when it refuses a change the input was good enough to ask for.
REFUSALS = (TransitionRefused, EditConflict, AssignmentImpossible)


def refusal(exc_or_reasons, code=status.HTTP_409_CONFLICT):
    """A refusal as the API answers it: its reasons, and all of them in one line."""
    if isinstance(exc_or_reasons, list | tuple):
        reasons = [str(reason) for reason in exc_or_reasons]
    else:
        reasons = [str(r) for r in getattr(exc_or_reasons, "reasons", None) or []] or [str(exc_or_reasons)]
    return Response({"detail": " ".join(reasons), "reasons": reasons}, status=code)


def django_errors(exc):
    """A Django ValidationError as DRF's (400, errors by field)."""
    if hasattr(exc, "error_dict"):
        return ValidationError(
            {field: [m for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
        )
    return ValidationError({"non_field_errors": exc.messages})


def form_errors(form):
    return ValidationError({field: list(errors) for field, errors in form.errors.items()})


class DomainActions:
    """Mixed into the viewsets: ``given`` validates the request's body with an input
    serializer; ``perform`` runs the domain change and answers."""

    def given(self, serializer_class, data=None):
        given = serializer_class(data=self.request.data if data is None else data)
        given.is_valid(raise_exception=True)
        return given.validated_data

    def perform(self, change, answer=None, *, code=status.HTTP_200_OK):
        """Run ``change()``; answer ``answer(result)`` (the result itself when not given)."""
        try:
            result = change()
        except REFUSALS as exc:
            return refusal(exc)
        except Call.evaluation_plan.RelatedObjectDoesNotExist:
            return refusal([_("Set up the call's evaluation plan first.")])
        except DjangoValidationError as exc:
            raise django_errors(exc) from None
        return Response(answer(result) if answer is not None else result, status=code)
